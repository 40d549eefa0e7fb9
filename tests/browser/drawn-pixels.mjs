// How much of a map canvas is drawn: the share of its pixels, in a box of CSS pixels (the whole canvas when none
// is given), that differ from the maps' empty background (#eef2f5). The count runs in the page, as
// window.drawnShare(canvas, box), installed before the page loads.
export async function installDrawnShare(page) {
  await page.addInitScript(() => {
    window.drawnShare = (canvas, box = { x: 0, y: 0, width: canvas.clientWidth, height: canvas.clientHeight }) => {
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      const context = copy.getContext('2d');
      context.drawImage(canvas, 0, 0);
      const ratio = canvas.width / canvas.clientWidth;
      const [x, y, width, height] = [box.x, box.y, box.width, box.height].map((v) => Math.round(v * ratio));
      const pixels = context.getImageData(x, y, width, height).data;
      let differing = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (Math.abs(pixels[i] - 0xee) + Math.abs(pixels[i + 1] - 0xf2) + Math.abs(pixels[i + 2] - 0xf5) > 12) differing++;
      }
      return differing / (pixels.length / 4);
    };
  });
}

"""Draws a collection's vector tiles the way a QGIS user adds them: a vector tile layer of the XYZ kind with the
service's tile URL template (its {y} is the row, its {x} the column), a plain red fill, rendered headless in
EPSG:3857. Prints, as one JSON object on the last line, whether the layer is valid and the share of red pixels in
each box asked for.

Usage: QT_QPA_PLATFORM=offscreen python3 vector_tiles.py <tile url template> <name=xmin,ymin,xmax,ymax> ...
"""
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
profile = tempfile.mkdtemp(prefix="qgis-profile-")

from qgis.core import (  # noqa: E402
    QgsApplication, QgsCoordinateReferenceSystem, QgsMapRendererSequentialJob, QgsMapSettings, QgsRectangle,
    QgsVectorTileBasicRenderer, QgsVectorTileLayer,
)
from PyQt5.QtCore import QSize  # noqa: E402
from PyQt5.QtGui import QColor  # noqa: E402

template, boxes = sys.argv[1], sys.argv[2:]
app = QgsApplication([], False, profile)
app.initQgis()
from qgis.core import Qgis  # noqa: E402

layer = QgsVectorTileLayer(f"type=xyz&url={template}&zmin=0&zmax=14", "tiles")
result = {"qgis": Qgis.QGIS_VERSION, "valid": layer.isValid(), "red": {}, "errors": []}
renderer = QgsVectorTileBasicRenderer()
black = QColor(0, 0, 0)
renderer.setStyles(QgsVectorTileBasicRenderer.simpleStyle(QColor(255, 0, 0), black, 0.1, black, 0.1, black, black, 1))
layer.setRenderer(renderer)
for box in boxes:
    name, corners = box.split("=")
    xmin, ymin, xmax, ymax = (float(c) for c in corners.split(","))
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    settings.setOutputSize(QSize(256, 256))
    settings.setExtent(QgsRectangle(xmin, ymin, xmax, ymax))
    settings.setBackgroundColor(QColor(255, 255, 255, 0))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    samples = [QColor(image.pixel(x, y)) for x in range(2, 256, 4) for y in range(2, 256, 4)]
    result["red"][name] = sum(1 for c in samples if c.red() > 200 and c.green() < 80 and c.alpha() > 200) / len(samples)
    result["errors"] += [e.message for e in job.errors()]
app.exitQgis()
shutil.rmtree(profile, ignore_errors=True)
print(json.dumps(result))

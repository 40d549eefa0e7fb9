// Closed-loop HTTP load on loopback: CONNECTIONS keep-alive connections, each sending the next request when the
// last answer is complete, over a list of paths picked at random (seeded) for SECONDS. Prints requests per second
// and latency percentiles of every request. Used where the paths vary per request: wrk's percentiles then come
// out several times too high (a cheap tile measured behind a costly one), though its throughput is right.
// usage: node http-latency.mjs BASE_URL PATHS_FILE CONNECTIONS SECONDS
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [base, pathsFile, connections = '8', seconds = '10'] = process.argv.slice(2);
const paths = readFileSync(pathsFile, 'utf8').split('\n').filter(Boolean);
const url = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connections) });
let seed = 23;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const latencies = [];
let failures = 0;
const end = performance.now() + Number(seconds) * 1000;

function get(path) {
  return new Promise((resolve) => {
    const start = performance.now();
    http.get({ host: url.hostname, port: url.port, path, agent }, (response) => {
      response.on('data', () => {});
      response.on('end', () => {
        if (response.statusCode >= 400) failures++;
        resolve(performance.now() - start);
      });
    }).on('error', () => { failures++; resolve(null); });
  });
}

async function client() {
  while (performance.now() < end) {
    const latency = await get(paths[Math.floor(random() * paths.length)]);
    if (latency !== null) latencies.push(latency);
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: Number(connections) }, client));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(2);
console.log(`${(latencies.length / elapsed).toFixed(2)} ${at(0.5)}ms ${at(0.9)}ms ${at(0.99)}ms ${failures}`);
agent.destroy();

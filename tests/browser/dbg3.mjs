import { readFileSync } from 'node:fs';
import { launchBrowser, startServer } from './harness.mjs';
const server = await startServer(); const b = await launchBrowser();
const page = await b.context.newPage();
page.on('console', (m) => console.log('console', m.text()));
page.on('pageerror', (e) => console.log('pageerror', e));
await page.goto(server.url);
await page.waitForSelector('body[data-ready="true"]');
const bytes = [...readFileSync(process.argv[2])];
const r = await page.evaluate(async ([data]) => {
  const k = window.kuronuri;
  let t = performance.now();
  await k.loadOcr();
  const load = performance.now() - t;
  const blob = new Blob([new Uint8Array(data)]);
  const out = [];
  for (const threads of [1, 2]) {
    const r = await k.ocrImage(blob, { threads });
    out.push({ threads, n: r.lines.length, timings: r.timings, first: r.lines.slice(0, 5).map((l) => l.text) });
  }
  return { load, out };
}, [bytes]);
console.log(JSON.stringify(r, null, 1));
await b.close(); server.close();

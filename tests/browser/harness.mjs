// Shared by the browser tests and the WebAssembly bench: start `kuronuri serve` on a free
// loopback port and Debian's headless Chromium (no browser download is possible here).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(ROOT, '../shared');
const BINARY = path.join(ROOT, 'target/release/kuronuri');
const CHROMIUM = '/usr/bin/chromium';

/** A file of the shared evaluation material; fails clearly when shared/ is missing. */
export function shared(relative) {
  const file = path.join(SHARED, relative);
  if (!existsSync(file)) {
    throw new Error(`missing ${file}: the shared material must sit beside the project (../shared)`);
  }
  return file;
}

/** Starts `kuronuri serve` on a free port; resolves to `{url, close}`. */
export async function startServer(root = path.join(ROOT, 'www')) {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run ./build.sh build`);
  if (!existsSync(path.join(root, 'pkg/kuronuri_bg.wasm'))) throw new Error('www/pkg is missing: run ./build.sh build');
  const child = spawn(BINARY, ['serve', '--root', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('kuronuri serve did not start in 10 s')), 10_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.on('exit', (code) => reject(new Error(`kuronuri serve exited with ${code}`)));
  });
  return { url, close: () => child.kill() };
}

/** Launches headless Chromium with a fresh profile and no background traffic. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run ./build.sh setup`);
  const profile = mkdtempSync(path.join(tmpdir(), 'kuronuri-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Screenshots of the tests land here, for a person to look at. */
export const OUT = path.join(ROOT, 'tests/browser/.out');

/**
 * Starts the server and the browser before the tests of a file and stops them after; the
 * returned object's `server` and `browser` are set once they run.
 */
export function serverAndBrowser(before, after) {
  const env = { server: null, browser: null };
  before(async () => {
    mkdirSync(OUT, { recursive: true });
    env.server = await startServer();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    env.server?.close();
  });
  return env;
}

/** A new tab on the page, once its models are loaded; `errors` collects the page's errors. */
export async function readyPage(env) {
  const page = await env.browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(env.server.url);
  await page.waitForSelector('body[data-ocr-ready="true"]', { timeout: 120_000 });
  return { page, errors };
}

// Screenshots for the README, written by the browser tests without rewriting them on every run:
// a view's picture changes a little each time (the times the test ran: hook payloads applied, the
// worker's pid), so a new screenshot replaces the file in docs/dashboard/ only when it is missing,
// changed size, or differs in more than a small share of its pixels (compared in the browser
// itself: both PNGs decoded on a canvas). A change to the page's look is over that share.
import fs from 'node:fs';
import type { Browser } from 'playwright-core';

/** Share of pixels that may differ (timestamps and counters) before the file is rewritten. */
export const SCREENSHOT_TOLERANCE = 0.01;

// Runs in the page, as written (a string, so that no transpiler helper leaks into it): the share
// of pixels whose colour differs between two base64 PNGs, 1 when their sizes differ.
const PIXEL_DIFFERENCE = `async ([a, b]) => {
  const images = [];
  for (const b64 of [a, b]) {
    const bitmap = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    images.push(ctx.getImageData(0, 0, bitmap.width, bitmap.height));
  }
  const [x, y] = images;
  if (x.width !== y.width || x.height !== y.height) return 1;
  let differing = 0;
  for (let i = 0; i < x.data.length; i += 4) {
    if (x.data[i] !== y.data[i] || x.data[i + 1] !== y.data[i + 1] || x.data[i + 2] !== y.data[i + 2]) differing++;
  }
  return differing / (x.width * x.height);
}`;

async function pixelDifference(browser: Browser, a: Buffer, b: Buffer): Promise<number> {
  const page = await browser.newPage();
  try {
    return (await page.evaluate(`(${PIXEL_DIFFERENCE})(${JSON.stringify([a.toString('base64'), b.toString('base64')])})`)) as number;
  } finally {
    await page.close();
  }
}

/** Writes `png` to `file` unless the file holds nearly the same picture; says whether it wrote. */
export async function keepScreenshot(browser: Browser, file: string, png: Buffer): Promise<boolean> {
  if (fs.existsSync(file) && (await pixelDifference(browser, fs.readFileSync(file), png)) <= SCREENSHOT_TOLERANCE) return false;
  fs.writeFileSync(file, png);
  return true;
}

// Headless Chromium for tests that look at a page as a person would: Debian's chromium (installed
// by .ci/run) driven by playwright-core, which downloads no browser of its own. The flags keep it
// off the network (this machine has none: background services would only fail) and the profile is
// a fresh directory, removed when the test ends. Without Chromium the test skips and says why.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.TFCONV_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/** A fresh headless Chromium, closed when the test ends; null (the test skipped) when there is none. */
export async function launchChromium(t: TestContext, viewport = { width: 1040, height: 900 }): Promise<BrowserContext | null> {
  if (!fs.existsSync(CHROMIUM)) {
    t.skip(`no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium (apt-get install chromium), or set TFCONV_CHROMIUM`);
    return null;
  }
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch {
    t.skip('playwright-core is not installed (npm ci installs the devDependencies)');
    return null;
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tfconv-chromium-'));
  const context = await pw.chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport });
  t.after(async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  });
  return context;
}

/**
 * The dashboard in a real browser: Debian's headless Chromium (/usr/bin/chromium, which .ci/run
 * installs) driven by playwright-core, which downloads nothing itself. Also runs axe-core (the
 * accessibility rules engine) in a page.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Why the browser tests cannot run on this machine (a reason to skip them), or undefined.
 * In CI a missing browser fails the run instead: a skipped test there would hide it.
 */
export function chromiumMissing(): string | undefined {
  if (fs.existsSync(CHROMIUM)) return undefined;
  const reason = `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium), as .ci/run does`;
  if (process.env.CI === 'true') throw new Error(reason);
  return reason;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM });
}

/**
 * Everything a page said went wrong: uncaught errors, and console errors other than failed
 * requests (a test that stops the host or withholds the key expects those). A Content Security
 * Policy refusal is a console error, so it is caught here.
 */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  return problems;
}

interface AxeResults {
  violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }>;
}

// Page code is passed as text: this project's TypeScript has no DOM types. DevTools' evaluate is
// not subject to the page's Content Security Policy, so axe needs no hole in it.
const AXE_SOURCE = () => fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG 2.1 A and AA rules (labels, names, contrast, ARIA) on what the page shows now: the violations, described. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate("typeof axe === 'object'"))) await page.evaluate(AXE_SOURCE());
  const results = (await page.evaluate("axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })")) as AxeResults;
  return results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Whether the page is wider than the window (a phone would have to scroll sideways). */
export async function scrollsSideways(page: Page): Promise<boolean> {
  return (await page.evaluate('document.documentElement.scrollWidth > window.innerWidth')) as boolean;
}

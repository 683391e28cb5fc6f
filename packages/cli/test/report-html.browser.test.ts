/**
 * The HTML report in a real browser (headless Chromium): the seed scenario's deviation is shown,
 * visibly marked; the page loads nothing and runs no script, even when the trail carries markup.
 *
 * Needs Debian's `chromium` at /usr/bin/chromium (`apt-get install -y chromium`). Without it this
 * test FAILS on purpose: a skipped browser check would look like a passing one.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildIntentReport, renderReportHtml } from "@mandate/core";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";
import { runScenario, type Scenario } from "./scenario.js";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), "artifacts");

interface World {
  readonly s: Scenario;
  readonly html: string;
  readonly browser: BrowserContext;
}

let world: Promise<World> | undefined;
let profile: string | undefined;
let browser: BrowserContext | undefined;

/**
 * The scenario, its HTML report and a browser, set up once on first use. Each test awaits it, so a
 * missing Chromium fails every test here (a failing beforeAll would report them as skipped).
 */
function setup(): Promise<World> {
  world ??= (async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is missing at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium"`,
      );
    }
    const s = await runScenario();
    const html = join(s.dir, "report.html");
    const r = await runCli([
      "audit",
      "report",
      s.file,
      "--keys",
      s.jwksFile,
      "--format",
      "html",
      "--out",
      html,
    ]);
    if (r.code !== 0) throw new Error(`mandate audit report failed (${r.code}): ${r.stderr}`);
    profile = await mkdtemp(join(tmpdir(), "mandate-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
    });
    return { s, html, browser };
  })();
  return world;
}

afterAll(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

describe("the HTML report in Chromium", { timeout: 120_000 }, () => {
  it("shows the seed scenario's deviation, visibly marked, and saves a screenshot", async () => {
    const { html, browser } = await setup();
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on("request", (req) => {
      requests.push(req.url());
    });
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(pathToFileURL(html).href);

    await expect(page.title()).resolves.toBe("Mandate intent report — audit.jsonl");
    await expect(page.locator(".verdict.ok").textContent()).resolves.toContain("Trail verified.");

    // The deviation: employee.salary inside an element marked as a deviation, visible, labelled.
    const deviation = page
      .locator('[data-kind="deviation"]', { hasText: "employee.salary" })
      .filter({ hasText: "intent.data_undeclared" })
      .first();
    expect(await deviation.isVisible()).toBe(true);
    const text = await deviation.textContent();
    expect(text).toContain("DEVIATION");
    expect(text).toContain("employee.salary");
    const label = deviation.locator(".label-dev");
    expect(await label.isVisible()).toBe(true);
    const colors = await deviation.evaluate((el) => {
      // Runs in the page; the workspace's TypeScript has no DOM library.
      const { getComputedStyle } = globalThis as unknown as {
        getComputedStyle(e: unknown): {
          backgroundColor: string;
          borderLeftColor: string;
          borderLeftWidth: string;
        };
      };
      const style = getComputedStyle(el);
      return {
        background: style.backgroundColor,
        border: style.borderLeftColor,
        width: style.borderLeftWidth,
      };
    });
    // A distinct colour: a reddish background and a thick red left border.
    expect(colors.background).toBe("rgb(253, 236, 234)");
    expect(colors.border).toBe("rgb(179, 38, 30)");
    expect(colors.width).toBe("6px");

    // The seed intent's section: purpose, declared scope, and the deviation inside it.
    const section = page.locator("section.intent", { hasText: "find all customer names" }).first();
    expect(await section.locator("h2").textContent()).toContain("“find all customer names”");
    expect(
      await section.locator('[data-kind="deviation"]', { hasText: "employee.salary" }).count(),
    ).toBeGreaterThan(0);

    // The delegation tree nests the helper under the seed intent.
    const tree = page.locator("ul.tree > li", { hasText: "find all customer names" });
    expect(await tree.locator("ul li").first().textContent()).toContain("count distinct customer names");

    // Self-contained: the file itself is the only request, and nothing failed.
    expect(requests).toEqual([pathToFileURL(html).href]);
    expect(errors).toEqual([]);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "report-seed.png"), fullPage: true });
    await page.close();
  });

  it("runs nothing injected through the trail", async () => {
    const { s, browser } = await setup();
    const evil = `<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2;alert(2)</script>`;
    const events = [
      {
        type: "intent.declared",
        seq: 1,
        time: "2026-01-01T00:00:00.000Z",
        "gen_ai.agent.id": "a",
        "gen_ai.agent.name": `</style><script>alert(3)</script>`,
        "mandate.context.id": `c" onmouseover="alert(4)`,
        "mandate.detail": { intent: { purpose: evil, scope: [] } },
      },
      {
        type: "tool.decision",
        seq: 2,
        time: "2026-01-01T00:00:01.000Z",
        "gen_ai.agent.id": "a",
        "mandate.context.id": `c" onmouseover="alert(4)`,
        "gen_ai.tool.name": `<a href="javascript:alert(5)">x</a>`,
        "gen_ai.tool.call.id": "1",
        "mandate.decision": "deny",
        "mandate.deviation": true,
        "mandate.reasons": [{ code: "intent.data_undeclared", message: evil, dataClass: "employee.salary" }],
      },
    ];
    const path = join(s.dir, "evil.html");
    await writeFile(path, renderReportHtml(buildIntentReport(events)));
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on("dialog", async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    await page.goto(pathToFileURL(path).href);
    await page.hover("section.intent h2");
    expect(dialogs).toEqual([]);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("script, img, iframe, a[href^='javascript']").count()).toBe(0);
    // The markup is shown as text.
    expect(await page.locator("section.intent h2").textContent()).toContain(
      "<script>window.__pwned=2;alert(2)</script>",
    );
    await page.close();
  });
});

// Drives Debian's chromium (playwright-core, no browser download) through
// the dashboard of a running node and checks what a person sees there.
// Started by tests/e2e/test_dashboard.py, which starts the node and replays
// examples/drift.csv first; every expectation comes in as an argument.
//
//   node dashboard.test.js --url http://127.0.0.1:PORT --model ID --kind KIND
//        --points N --threshold X --version V --samples S --artifacts DIR
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--")) throw new Error(`unexpected argument ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ["url", "model", "kind", "points", "threshold", "version", "samples", "artifacts"])
    if (out[k] === undefined) throw new Error(`missing --${k}`);
  return out;
}

let failures = 0;
let passes = 0;
function check(what, ok, detail) {
  if (ok) {
    ++passes;
    console.log(`ok: ${what}`);
  } else {
    ++failures;
    console.log(`FAIL: ${what}${detail ? ": " + detail : ""}`);
  }
}

// Waits until `probe` (run in the page) returns a truthy value.
async function waitFor(page, what, probe, arg, timeoutMs = 20000) {
  try {
    const handle = await page.waitForFunction(probe, arg, { timeout: timeoutMs, polling: 100 });
    return await handle.jsonValue();
  } catch (e) {
    return null;
  }
}

async function main() {
  const a = args();
  fs.mkdirSync(a.artifacts, { recursive: true });
  const executablePath = process.env.RETRAIN_CHROMIUM || "/usr/bin/chromium";
  // Root (CI, containers) cannot use chromium's sandbox.
  const launchArgs = process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [];
  const browser = await chromium.launch({ executablePath, args: launchArgs, headless: true });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

    // -- fleet ----------------------------------------------------------------
    await page.goto(a.url + "/", { waitUntil: "load" });
    const row = await waitFor(page, "the model's row",
      (model) => {
        const tr = document.querySelector(`#fleet tr[data-model="${model}"]`);
        return tr && tr.querySelector("svg.spark") ? {
          decision: tr.dataset.decision, state: tr.dataset.state,
          text: tr.innerText, spark: Number(tr.querySelector("svg.spark").dataset.points),
        } : null;
      }, a.model);
    check("fleet page lists the drifted model", row !== null);
    if (row) {
      check("its last decision shows drift", row.decision === "drift" && /drift/.test(row.text),
            JSON.stringify(row));
      check("its state is the one after the retrain (standing-down)", row.state === "standing-down",
            row.state);
      check("it has a sparkline", row.spark > 0, String(row.spark));
    }
    const total = await page.$eval("#fleet-total", (e) => e.textContent);
    check("the pager counts the models", /of 5 models/.test(total), total);
    // Filtering by part of the id narrows the list to that model.
    await page.fill('input[type="search"]', a.model.split(":")[1]);
    const filtered = await waitFor(page, "filtered rows", (model) => {
      const rows = [...document.querySelectorAll("#fleet tbody tr")];
      return rows.length === 1 && rows[0].dataset.model === model ? rows.length : null;
    }, a.model);
    check("the filter narrows the fleet to the model", filtered === 1);
    await page.fill('input[type="search"]', "");
    await waitFor(page, "all rows", () => document.querySelectorAll("#fleet tbody tr").length === 5);
    const fleetShot = path.join(a.artifacts, "fleet.png");
    await page.screenshot({ path: fleetShot, fullPage: true });
    console.log(`screenshot: ${fleetShot}`);

    // -- model ----------------------------------------------------------------
    await page.click(`#fleet tr[data-model="${a.model}"] a`);
    const chart = await waitFor(page, "the chart", (kind) => {
      const c = document.querySelector(`[data-chart="${kind}"]`);
      return c && c.dataset.points ? Object.assign({}, c.dataset) : null;
    }, a.kind);
    check("the model page shows a chart of the drifting kind", chart !== null);
    if (chart) {
      check(`the series has the ${a.points} replayed points`, chart.points === a.points, chart.points);
      check(`the threshold line is at ${a.threshold}`,
            Math.abs(Number(chart.threshold) - Number(a.threshold)) < 1e-12, chart.threshold);
      check(`a trigger marker sits at sample ${a.samples}, the one the job's reason names`,
            chart.triggerSamples.split(",").includes(a.samples), chart.triggerSamples);
      check("drift points are marked", chart.driftSamples.length > 0, chart.driftSamples);
    }
    const canvas = await page.$eval(`[data-chart="${a.kind}"] canvas`,
      (c) => ({ w: c.width, h: c.height, chart: !!window.Chart }));
    check("Chart.js drew the chart", canvas.chart && canvas.w > 0 && canvas.h > 0, JSON.stringify(canvas));
    const version = await waitFor(page, "the version on the timeline", (v) => {
      const li = document.querySelector(`#timeline li[data-version="${v}"]`);
      return li ? li.innerText : null;
    }, a.version);
    check(`version ${a.version} is on the timeline`, version !== null && version.includes(a.version), version);
    const order = await page.$$eval("#timeline li[data-t]", (lis) => lis.map((l) => [l.dataset.kind, Number(l.dataset.t)]));
    const trig = order.find(([k]) => k === "trigger");
    const ver = order.find(([k]) => k === "version");
    check("the trigger comes before the version on the time axis", trig && ver && trig[1] <= ver[1],
          JSON.stringify(order));
    const state = await page.$eval("#model-summary", (e) => e.dataset.decision);
    check("the model page says the model drifted", state === "drift", state);
    const modelShot = path.join(a.artifacts, "model.png");
    await page.screenshot({ path: modelShot, fullPage: true });
    console.log(`screenshot: ${modelShot}`);

    // -- live -----------------------------------------------------------------
    const loadedAt = await page.evaluate(() => window.retrainLoadedAt);
    const box = (kind) => page.$eval(`[data-chart="${kind}"]`, (c) => {
      const r = c.getBoundingClientRect();
      return { top: r.top + window.scrollY, height: r.height, width: r.width };
    });
    const boxBefore = await box(a.kind);
    const lastT = Number(chart ? chart.lastT : 0);
    const more = [1, 2, 3].map((i) => ({ model: a.model, kind: a.kind, value: 0.5,
      observed_at_ns: (lastT + i * 1000) * 1e6 }));
    const posted = await page.evaluate(async (body) => {
      const res = await fetch("/v1/events", { method: "POST", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json" } });
      return res.json();
    }, more);
    check("three more events are accepted", posted.accepted === 3, JSON.stringify(posted));
    const grown = await waitFor(page, "the chart to grow", (want) => {
      const c = document.querySelector(`[data-chart="${want.kind}"]`);
      return c && Number(c.dataset.points) === want.n ? Number(c.dataset.points) : null;
    }, { kind: a.kind, n: Number(a.points) + 3 });
    check("the chart grows by 3 points live", grown === Number(a.points) + 3, String(grown));
    const same = await page.evaluate(() => window.retrainLoadedAt);
    check("without a reload", same === loadedAt);
    const boxAfter = await box(a.kind);
    check("and without moving the chart (no layout shift)",
          JSON.stringify(boxAfter) === JSON.stringify(boxBefore),
          `${JSON.stringify(boxBefore)} -> ${JSON.stringify(boxAfter)}`);
    const liveOn = await page.$eval("#live", (e) => e.dataset.live);
    check("the live indicator is on", liveOn === "on", liveOn);
    await page.screenshot({ path: path.join(a.artifacts, "model-live.png"), fullPage: true });

    // -- jobs and a phone-width window ---------------------------------------
    await page.goto(a.url + "/#/jobs", { waitUntil: "load" });
    const jobs = await waitFor(page, "the jobs", () => {
      const rows = document.querySelectorAll('[data-section="recent"] tr[data-job]');
      return rows.length ? rows.length : null;
    });
    check("the jobs page lists the 3 finished jobs", jobs === 3, String(jobs));
    await page.click('[data-section="recent"] tr[data-job] a');
    const log = await waitFor(page, "a log tail", () => {
      const pre = document.querySelector("#job-log pre.log");
      return pre ? pre.textContent : null;
    });
    check("a job's log tail shows", log !== null && /simulated trainer/.test(log), log);
    await page.screenshot({ path: path.join(a.artifacts, "jobs.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(a.url + "/#/model/" + encodeURIComponent(a.model), { waitUntil: "load" });
    await waitFor(page, "the chart", (kind) => {
      const c = document.querySelector(`[data-chart="${kind}"]`);
      return c && c.dataset.points;
    }, a.kind);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check("a phone-width window needs no sideways scrolling", overflow <= 0, String(overflow));
    await page.screenshot({ path: path.join(a.artifacts, "model-phone.png"), fullPage: true });
    check("no script errors", errors.length === 0, errors.join("; "));
  } finally {
    await browser.close();
  }
  console.log(`${passes} passed, ${failures} failed`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});

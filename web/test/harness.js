// Test harness: Go processes (actr signal, node, send, join-token), a
// static server for the page, and Chromium through playwright-core.
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { readFile, mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, normalize, extname, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const webRoot = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));
export const actrBin = process.env.ACTR_BIN;
export const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json" };

/** Serves web/ on 127.0.0.1 (the page's origin). */
export async function serveWeb(routes = {}) {
  const srv = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (routes[path]) return routes[path](req, res);
    const file = normalize(join(webRoot, path));
    if (!file.startsWith(webRoot)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { "Content-Type": types[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  return { port: srv.address().port, close: () => new Promise((r) => srv.close(r)) };
}

/** A Go process; line(re) resolves with the first stdout line matching re. */
export function start(args, opts = {}) {
  const p = spawn(actrBin, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  const lines = [];
  const waiters = [];
  let buf = "";
  p.stdout.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(l);
      for (const w of waiters.slice()) if (w.re.test(l)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(l); }
    }
  });
  let stderr = "";
  const keep = process.env.ACTR_TEST_LOG_LEVEL ? 4 << 20 : 4000; // a debugging run keeps the whole log
  p.stderr.on("data", (d) => { stderr = (stderr + d).slice(-keep); });
  const exited = new Promise((r) => p.on("close", (code) => {
    if (buf) lines.push(buf); // output without a last newline
    r(code);
  }));
  return {
    proc: p, lines, exited,
    get stderr() { return stderr; },
    line(re, ms = 20_000) {
      const have = lines.find((l) => re.test(l));
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no line ${re} from actr ${args[0]}: ${stderr}`)), ms);
        waiters.push({ re, resolve: (l) => { clearTimeout(t); resolve(l); } });
      });
    },
    async stop() {
      if (p.exitCode === null) p.kill("SIGTERM");
      await exited;
    },
  };
}

export function run(args) {
  return execFileSync(actrBin, args, { encoding: "utf8", timeout: 30_000 }).trim();
}

export async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), "actr-web-"));
  return { path: d, write: (n, s) => writeFile(join(d, n), s, { mode: 0o600 }).then(() => join(d, n)), remove: () => rm(d, { recursive: true, force: true }) };
}

/** A world: signaling (secret realm 1), an echo node with a gate, Chromium. */
export async function world({ allowOrigin = "127.0.0.1:*" } = {}) {
  const dir = await tempDir();
  const secrets = await dir.write("secrets", "1=s3cret-realm-one\n");
  const web = await serveWeb();
  const signal = (port) => start(["signal", "--listen", "127.0.0.1:" + port, "--key", join(dir.path, "key"), "--policy", "secret", "--secret-file", secrets, "--allow-origin", allowOrigin, "--log-level", "warn"]);
  const sig = signal(0);
  const sigLine = await sig.line(/signaling server on /);
  const sigURL = sigLine.match(/signaling server on (\S+)/)[1];
  const node = start(["node", "--signal", sigURL, "--secret-file", secrets, "--ws-listen", "127.0.0.1:0", "--loopback-only", "--allow-origin", allowOrigin,
    "--metrics-listen", "127.0.0.1:0", "--log-level", process.env.ACTR_TEST_LOG_LEVEL ?? "warn"]);
  const nodeID = (await node.line(/^actor /)).slice("actor ".length).trim();
  const gate = (await node.line(/^gate /)).slice("gate ".length).trim().replace("{actor_id}", nodeID);
  const nodeMetrics = (await node.line(/^metrics /)).slice("metrics ".length).trim();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"], // playwright gives it a fresh --user-data-dir
  }).catch(async (e) => {
    await node.stop();
    await sig.stop();
    await web.close();
    throw e;
  });
  const w = {
    dir, secrets, web, sig, sigURL, node, nodeID, gate, nodeMetrics, browser,
    restartSignal: signal,
    joinToken: () => run(["join-token", "--secret-file", secrets, "--realm", "1", "--ttl", "5m"]),
    async page(host = "127.0.0.1") {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      page.on("pageerror", (e) => console.error("page error:", e.message));
      await page.goto(`http://${host}:${web.port}/test/page.html`);
      await page.waitForFunction(() => window.ready === true);
      return page;
    },
    async close() {
      await browser.close().catch(() => {});
      await node.stop();
      await w.sig.stop();
      await web.close();
      await dir.remove();
    },
  };
  return w;
}

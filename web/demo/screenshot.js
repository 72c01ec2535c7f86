// Takes a screenshot of the chat page: `actr demo --browser` running,
// then `node demo/screenshot.js URL OUT.png` (playwright-core, Debian's chromium).
import { chromium } from "playwright-core";

const [url, out = "chat.png"] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 640 } });
  await page.goto(url);
  await page.waitForFunction(() => window.chatReady === true, null, { timeout: 20_000 });
  for (const [text, wire] of [["hello from the browser", "webrtc"], ["and now over the gate", "websocket"], ["back to WebRTC", "webrtc"]]) {
    const n = await page.locator(".node").count();
    await page.fill("#text", text);
    await page.selectOption("#wire", wire);
    await page.click("button");
    await page.waitForFunction((k) => document.querySelectorAll(".node").length > k, n, { timeout: 20_000 });
  }
  await page.screenshot({ path: out });
  console.log("wrote", out);
} finally {
  await browser.close();
}

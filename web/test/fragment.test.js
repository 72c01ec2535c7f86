// Fragmentation and reassembly, without a browser: what a hostile peer
// can send is refused within bounds, never thrown past the client.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fragments, Reassembler, byteBudget, maxChunk } from "../src/fragment.js";
import { PeerProtocolError } from "../src/errors.js";

const r = (max = 1 << 20, budget = byteBudget(2 << 20)) => new Reassembler({ maxMessage: max, budget });

test("a message split and reassembled is the same bytes", () => {
  for (const n of [0, 1, maxChunk, maxChunk + 1, 3 * maxChunk + 5]) {
    const msg = new Uint8Array(n).map((_, i) => i & 255);
    const fs = fragments(7, msg);
    assert.equal(fs.length, Math.max(1, Math.ceil(n / maxChunk)));
    const re = r();
    let out = null;
    for (const f of fs.reverse()) out = re.push(f) ?? out; // any order
    assert.deepEqual(out, msg);
  }
});

test("bad fragments are refused, and their bytes given back", () => {
  const budget = byteBudget(1 << 20);
  const re = r(1 << 20, budget);
  const bad = (b) => assert.throws(() => re.push(b), PeerProtocolError);
  bad(new Uint8Array(7)); // shorter than the header
  bad(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0)); // total 0
  bad(Uint8Array.of(0, 0, 0, 1, 0, 2, 0, 2)); // index ≥ total
  bad(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2, 1)); // a short middle fragment
  const f = fragments(9, new Uint8Array(2 * maxChunk));
  re.push(f[0]);
  bad(f[0]); // twice
  assert.equal(budget.used, 0);
  const huge = fragments(10, new Uint8Array(maxChunk + 1))[0];
  new DataView(huge.buffer).setUint16(6, 0xffff); // announces 4 GiB
  bad(huge);
  assert.equal(budget.used, 0);
});

test("the budget and the count of partial messages are bounded", () => {
  const budget = byteBudget(3 * maxChunk);
  const re = new Reassembler({ maxMessage: 1 << 20, maxPartial: 2, budget });
  re.push(fragments(1, new Uint8Array(2 * maxChunk))[0]);
  re.push(fragments(2, new Uint8Array(2 * maxChunk))[0]);
  assert.throws(() => re.push(fragments(3, new Uint8Array(2 * maxChunk))[0]), PeerProtocolError);
  re.clear();
  assert.equal(budget.used, 0);
});

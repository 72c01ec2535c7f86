// Holder keys and proofs of possession (docs/PROTOCOL.md, "Proofs of
// possession"): the page's credential is bound to an Ed25519 key that
// never leaves it (WebCrypto, not extractable); each socket and gate it
// opens gets a fresh proof made for that audience.
import { create, toBinary } from "@bufbuild/protobuf";
import { ProofBodySchema, ProofOfPossessionSchema } from "../gen/actr_pb.js";
import { concat, utf8 } from "./bytes.js";
import { ActrError } from "./errors.js";

const domain = utf8("actr-go/proof-of-possession/v1\n");

export async function newHolderKey() {
  let kp;
  try {
    kp = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  } catch (e) {
    throw new ActrError("unsupported", "this browser has no Ed25519 in WebCrypto: holder-bound credentials need it", { cause: e });
  }
  const pub = new Uint8Array(await crypto.subtle.exportKey("raw", kp.publicKey));
  return { privateKey: kp.privateKey, publicKey: pub };
}

/** A proof that this page holds `holder` for credential `cred` of actor `source`, for `audience`. */
export async function prove(holder, cred, source, audience) {
  const sum = new Uint8Array(await crypto.subtle.digest("SHA-256", cred.claims));
  const body = toBinary(ProofBodySchema, create(ProofBodySchema, {
    source,
    audience,
    timestampMs: BigInt(Date.now()),
    nonce: crypto.getRandomValues(new Uint8Array(16)),
    claimsSha256: sum,
  }));
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, holder.privateKey, concat(domain, body)));
  return create(ProofOfPossessionSchema, { body, signature: sig });
}

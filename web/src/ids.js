// Actor ids: the ActrId message, its text forms and its hex encoding.
import { create, toBinary } from "@bufbuild/protobuf";
import { ActrIdSchema } from "../gen/actr_pb.js";
import { InvalidArgumentError } from "./errors.js";

const unreserved = /[A-Za-z0-9\-._~]/;

function escapePart(s) {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += b < 128 && unreserved.test(c) ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Our text form, manufacturer:name[:version]@realm.serial, as `actr node` prints it. */
export function actorText(id) {
  const t = id.type ?? {};
  let s = escapePart(t.manufacturer ?? "") + ":" + escapePart(t.name ?? "");
  if (t.version) s += ":" + escapePart(t.version);
  return s + "@" + (id.realm?.realmId ?? 0) + "." + BigInt(id.serialNumber ?? 0n).toString(10);
}

/** actr's text form, <serial hex>@<realm>/<manufacturer>:<name>:<version>. */
export function actrString(id) {
  const t = id.type ?? {};
  return BigInt(id.serialNumber ?? 0n).toString(16) + "@" + (id.realm?.realmId ?? 0) + "/" + (t.manufacturer ?? "") + ":" + (t.name ?? "") + ":" + (t.version ?? "");
}

/** Parses our text form (what `actr node` prints) into an ActrId. */
export function parseActor(text) {
  if (typeof text !== "string" || text.length > 1024) throw new InvalidArgumentError("an actor id is a string of at most 1 KiB");
  const at = text.lastIndexOf("@");
  const dot = text.lastIndexOf(".");
  if (at < 0 || dot < at) throw new InvalidArgumentError(`not an actor id (manufacturer:name[:version]@realm.serial): ${text.slice(0, 100)}`);
  const parts = text.slice(0, at).split(":").map((p) => decodeURIComponent(p));
  const realm = Number(text.slice(at + 1, dot));
  const serialText = text.slice(dot + 1);
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1] || !/^\d+$/.test(serialText) || !Number.isInteger(realm) || realm < 0 || realm > 0xffffffff) {
    throw new InvalidArgumentError(`not an actor id (manufacturer:name[:version]@realm.serial): ${text.slice(0, 100)}`);
  }
  return create(ActrIdSchema, {
    realm: { realmId: realm },
    serialNumber: BigInt(serialText),
    type: { manufacturer: parts[0], name: parts[1], version: parts[2] ?? "0" },
  });
}

/** The form X-Actr-Source-ID (and the gate's source_id parameter) takes: hex of the encoded ActrId. */
export function actorHex(id) {
  return Array.from(toBinary(ActrIdSchema, id), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A key for maps: the text form. */
export const actorKey = actorText;

/** Accepts an ActrId or its text form. */
export function toActrId(dest) {
  return typeof dest === "string" ? parseActor(dest) : dest;
}

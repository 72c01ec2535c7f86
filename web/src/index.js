// actr-go's browser client. See index.d.ts and web/README.md.
export { Actor, PayloadType } from "./actor.js";
export { ActrError, RegisterError, SignalingError, NoRouteError, ClosedError, TimeoutError, InvalidArgumentError, PeerProtocolError } from "./errors.js";
export { parseActor, actorText, actrString, actorHex } from "./ids.js";
export { fragments, Reassembler, byteBudget, maxChunk } from "./fragment.js";

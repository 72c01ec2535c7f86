// actr-go's browser client. See index.d.ts and web/README.md.
export { Actor, PayloadType } from "./actor.js";
export { ActrError, RegisterError, SignalingError, NoRouteError, ClosedError, TimeoutError, InvalidArgumentError, PeerProtocolError, RpcError, LimitError, CancelledError } from "./errors.js";
export { RpcCode, RpcEndpoint } from "./rpc.js";
export { parseActor, actorText, actrString, actorHex } from "./ids.js";
export { fragments, Reassembler, byteBudget, maxChunk } from "./fragment.js";

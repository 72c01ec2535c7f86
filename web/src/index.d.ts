// Types of actr-go's browser client (src/index.js).
import type { ActrId } from "../gen/actr_pb.js";

export type { ActrId };

/** Payload types, as the Go side numbers them (protocol.PayloadType). */
export declare const PayloadType: Readonly<{
  RPC_RELIABLE: 0;
  RPC_SIGNAL: 1;
  STREAM_RELIABLE: 2;
  STREAM_LATENCY_FIRST: 3;
}>;
export type PayloadTypeNumber = 0 | 1 | 2 | 3;
export type PayloadTypeName = keyof typeof PayloadType;
export type Wire = "webrtc" | "websocket";
/** An ActrId, or our text form manufacturer:name[:version]@realm.serial (what `actr node` prints). */
export type Dest = ActrId | string;

export interface ActorOptions {
  /** The signaling server: ws(s):// or http(s):// URL. */
  signalingURL: string;
  /** Realm to register in (default 1). */
  realm?: number;
  type: { manufacturer: string; name: string; version?: string };
  /** A join token from the application's backend (secret realms). */
  joinToken?: string;
  /** A realm secret (prefer a join token: a page should not hold the secret). */
  realmSecret?: string;
  /** Never offer WebRTC sessions (webrtc_role=answer). */
  answerOnly?: boolean;
  iceServers?: RTCIceServer[];
  /** Largest message sent or received, bytes (default 16 MiB). */
  maxMessage?: number;
  /** Bound on opening a wire (default 10 s). */
  connectTimeoutMs?: number;
  /** Limits of the RPC endpoint: calls in flight per peer (1,024), handlers running per peer (64), a tell's timeout (30 s), the longest request timeout honoured (5 min). */
  rpc?: { maxCallsPerPeer?: number; maxHandlersPerPeer?: number; defaultTimeoutMs?: number; maxTimeoutMs?: number };
  /** Signaling connection state: connected, reconnecting, reregistered, closed. */
  onState?: (state: string, err?: Error) => void;
}

export interface Message {
  from: ActrId;
  fromText: string;
  payloadType: PayloadTypeNumber;
  payloadTypeName: PayloadTypeName;
  /** The payload; the client does not keep it. */
  data: Uint8Array;
  wire: Wire;
}

export interface SendOptions {
  /** "auto" (default): the ready wire, WebRTC first, else dial WebRTC then the gate. */
  wire?: "auto" | Wire;
  /** The destination's gate URL, if not the one it registered. */
  gateURL?: string;
}

/** Error codes of an ErrorResponse, as the Go rpc package numbers them. */
export declare const RpcCode: Readonly<{ BAD_REQUEST: 400; UNKNOWN_ROUTE: 404; INTERNAL: 500; OVERLOADED: 503; DEADLINE_EXCEEDED: 504; HANDLER_PANIC: 520 }>;

export interface CallOptions {
  /** The call's deadline, sent as timeout_ms (default 30 s; actr requires one). */
  timeoutMs?: number;
  lane?: "RPC_RELIABLE" | "RPC_SIGNAL" | 0 | 1;
  metadata?: Record<string, string>;
  signal?: AbortSignal;
  wire?: "auto" | Wire;
  traceparent?: string;
  tracestate?: string;
}

/** A request (or tell) a handler serves. */
export interface RpcRequest {
  from: ActrId;
  fromText: string;
  routeKey: string;
  requestId: string;
  payload: Uint8Array;
  metadata: Record<string, string>;
  /** The caller's deadline, ms since the epoch. */
  deadline: number;
  /** Aborted at the caller's deadline. */
  signal: AbortSignal;
  tell: boolean;
  wire: Wire;
  payloadType: 0 | 1;
  traceparent: string;
  tracestate: string;
}
export type RpcHandler = (req: RpcRequest) => Uint8Array | ArrayBuffer | string | void | Promise<Uint8Array | ArrayBuffer | string | void>;

export interface RpcCounters {
  calls: number; answered: number; remoteErrors: number; timeouts: number; cancelled: number;
  /** Responses that matched no call in flight from their peer: dropped. */
  orphans: number;
  /** Messages on RPC lanes that are not envelopes with a direction: delivered to onMessage. */
  notRpc: number;
  handled: number; handlerErrors: number; badRequests: number; unknownRoutes: number; overloaded: number;
  /** Requests without a request_id: dropped. */
  unanswerable: number;
  tellsRefused: number; replyFailures: number;
}

export declare class Actor {
  /** Registers (HTTP), opens the signaling socket and heartbeats; reconnects and resumes by itself. */
  static start(opts: ActorOptions): Promise<Actor>;
  /** This actor's id; serialNumber is a BigInt. */
  readonly id: ActrId;
  /** Our text form of the id. */
  readonly idText: string;
  /** lastWebRTCOpenMs: the last WebRTC session's time from its first signal here to RPC_RELIABLE open. */
  readonly counters: { received: number; sent: number; peerErrors: number; lastWebRTCOpenMs?: number; lastWebRTCOfferer?: boolean };
  /** Adds a handler of inbound messages; returns its remover. */
  onMessage(fn: (m: Message) => void): () => void;
  /** Adds a handler of errors nobody awaits (a peer's bad bytes, a failed heartbeat); returns its remover. */
  onError(fn: (e: ActrError) => void): () => void;
  send(dest: Dest, payloadType: PayloadTypeNumber | PayloadTypeName, data: Uint8Array | ArrayBuffer | ArrayBufferView | string, opts?: SendOptions): Promise<void>;
  /** Calls route on dest; resolves with the response's payload. Rejects with RpcError, TimeoutError, CancelledError, LimitError or a send's error. */
  call(dest: Dest, route: string, payload?: Uint8Array | ArrayBuffer | ArrayBufferView | string, opts?: CallOptions): Promise<Uint8Array>;
  /** Tells route on dest: never answered. */
  tell(dest: Dest, route: string, payload?: Uint8Array | ArrayBuffer | ArrayBufferView | string, opts?: Omit<CallOptions, "timeoutMs" | "signal">): Promise<void>;
  /** Serves route with fn; a thrown RpcError answers with its status, anything else with 500. Returns the remover. */
  handle(route: string, fn: RpcHandler): () => void;
  /** The RPC endpoint's counters and what is in flight. */
  readonly rpc: { readonly counters: RpcCounters; readonly inFlight: { calls: number; handlers: number } };
  /** Opens (or reuses) the WebRTC session with dest. */
  connectWebRTC(dest: Dest, timeoutMs?: number): Promise<unknown>;
  /** Dials dest's gate (url, or the one it registered). */
  connectWebSocket(dest: Dest, url?: string, timeoutMs?: number): Promise<unknown>;
  /** Restarts ICE with dest (the offerer restarts; an answerer asks the peer to); the session and its channels stay. */
  restartIce(dest: Dest): Promise<void>;
  /** The wire a send would take now, or null. */
  wireTo(dest: Dest): Wire | null;
  close(): void;
}

export declare class ActrError extends Error {
  readonly code: "register" | "signaling" | "no_route" | "closed" | "timeout" | "invalid_argument" | "peer_protocol" | "unsupported" | "rpc" | "limit" | "cancelled";
}
/** The peer answered a call with an ErrorResponse. Throw one from a handler to answer with that status. */
export declare class RpcError extends ActrError {
  constructor(status: number, message: string, route?: string);
  readonly status: number;
  readonly remoteMessage: string;
}
export declare class LimitError extends ActrError {}
export declare class CancelledError extends ActrError {}
/** status: the HTTP status (0: unreachable, or this page's origin refused). */
export declare class RegisterError extends ActrError { readonly status: number; }
export declare class SignalingError extends ActrError { readonly status: number; }
export declare class NoRouteError extends ActrError {}
export declare class ClosedError extends ActrError {}
export declare class TimeoutError extends ActrError {}
export declare class InvalidArgumentError extends ActrError {}
/** A peer's or the server's bytes broke the protocol; reported to onError, never thrown at a sender. */
export declare class PeerProtocolError extends ActrError {}

export declare function parseActor(text: string): ActrId;
export declare function actorText(id: ActrId): string;
export declare function actrString(id: ActrId): string;
export declare function actorHex(id: ActrId): string;

export declare const maxChunk: number;
export declare function fragments(id: number, msg: Uint8Array): Uint8Array[];
export interface ByteBudget { take(n: number): boolean; give(n: number): void; readonly used: number; }
export declare function byteBudget(max: number): ByteBudget;
export declare class Reassembler {
  constructor(opts: { maxMessage: number; maxPartial?: number; timeoutMs?: number; budget: ByteBudget });
  /** A whole message, or null; throws PeerProtocolError for bad input. */
  push(bytes: Uint8Array): Uint8Array | null;
  clear(): void;
}

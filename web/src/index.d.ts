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
  /** Opens (or reuses) the WebRTC session with dest. */
  connectWebRTC(dest: Dest, timeoutMs?: number): Promise<unknown>;
  /** Dials dest's gate (url, or the one it registered). */
  connectWebSocket(dest: Dest, url?: string, timeoutMs?: number): Promise<unknown>;
  /** The wire a send would take now, or null. */
  wireTo(dest: Dest): Wire | null;
  close(): void;
}

export declare class ActrError extends Error {
  readonly code: "register" | "signaling" | "no_route" | "closed" | "timeout" | "invalid_argument" | "peer_protocol" | "unsupported";
}
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

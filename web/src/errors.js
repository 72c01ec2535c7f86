// Typed errors of the actr browser client. Every error the client throws
// or reports is an ActrError with a stable `code`; check `instanceof` or
// `code`, never the message text.

export class ActrError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = "ActrError";
    this.code = code;
  }
}

/** Registration or renewal refused: `status` is the HTTP status (403 a realm secret or join token refused, 429 slow down). */
export class RegisterError extends ActrError {
  constructor(status, message) {
    super("register", `registration refused (${status}): ${message}`);
    this.name = "RegisterError";
    this.status = status;
  }
}

/** The signaling server refused a request on the socket (`status` is its error code). */
export class SignalingError extends ActrError {
  constructor(status, message) {
    super("signaling", `signaling: ${status ? status + " " : ""}${message}`);
    this.name = "SignalingError";
    this.status = status;
  }
}

/** No wire to the destination could be opened, or the one in use died. */
export class NoRouteError extends ActrError {
  constructor(message, options) {
    super("no_route", message, options);
    this.name = "NoRouteError";
  }
}

/** The client (or the connection a call used) was closed. */
export class ClosedError extends ActrError {
  constructor(message = "closed") {
    super("closed", message);
    this.name = "ClosedError";
  }
}

/** A wait ran out. */
export class TimeoutError extends ActrError {
  constructor(message) {
    super("timeout", message);
    this.name = "TimeoutError";
  }
}

/** A message too big for its lane, or a bad argument. */
export class InvalidArgumentError extends ActrError {
  constructor(message) {
    super("invalid_argument", message);
    this.name = "InvalidArgumentError";
  }
}

/** A peer or the server sent bytes that break the protocol; reported to onError, never thrown at a sender. */
export class PeerProtocolError extends ActrError {
  constructor(message) {
    super("peer_protocol", message);
    this.name = "PeerProtocolError";
  }
}

/** A call's peer answered with an ErrorResponse: `status` is its code (see RpcCode), `remoteMessage` its message. */
export class RpcError extends ActrError {
  constructor(status, message, route) {
    super("rpc", `${route ? route + ": " : ""}${status} ${message}`);
    this.name = "RpcError";
    this.status = status;
    this.remoteMessage = message;
  }
}

/** A local limit was reached (calls in flight to one peer); retry once some are done. */
export class LimitError extends ActrError {
  constructor(message) {
    super("limit", message);
    this.name = "LimitError";
  }
}

/** The caller's AbortSignal ended the wait. */
export class CancelledError extends ActrError {
  constructor(message) {
    super("cancelled", message);
    this.name = "CancelledError";
  }
}

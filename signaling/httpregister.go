package signaling

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// HTTP registration and renewal, as actr's identity service serves them:
// POST a protobuf RegisterRequest (RenewCredentialRequest) with
// Content-Type application/x-protobuf, get a protobuf RegisterResponse
// (RenewCredentialResponse) back. actr's clients post to
// "<endpoint>/register" and "<endpoint>/renew" where the endpoint is
// usually ".../ais"; the server answers both RegisterPath and
// AISRegisterPath (any path ending in "/register"), and both renewal paths
// (any path ending in "/renew").
const (
	RegisterPath    = "/register"
	AISRegisterPath = "/ais/register"
	RenewPath       = "/renew"
	AISRenewPath    = "/ais/renew"
	// ContentTypeProtobuf is the media type of registration bodies.
	ContentTypeProtobuf = "application/x-protobuf"
	// HeaderActrixRealmSecret is the realm-secret header of actr's
	// clients (x-actrix-realm-secret); the server reads it as it reads
	// HeaderRealmSecret.
	HeaderActrixRealmSecret = "X-Actrix-Realm-Secret"
)

func isRegisterPath(p string) bool { return strings.HasSuffix(p, RegisterPath) }
func isRenewPath(p string) bool    { return strings.HasSuffix(p, RenewPath) }

// realmSecret is the realm secret of a request, in our header or actr's.
func realmSecret(h http.Header) string {
	if s := h.Get(HeaderRealmSecret); s != "" {
		return s
	}
	return h.Get(HeaderActrixRealmSecret)
}

// serveRegister registers a new actor from a POSTed RegisterRequest. The
// actor is registered offline: it comes online when it opens SocketPath
// with the credential it was given, within the presence timeout.
func (s *Server) serveRegister(w http.ResponseWriter, r *http.Request, addr *addrState) {
	body, status, msg := s.readProtobufBody(w, r)
	if status != 0 {
		writeRegisterError(w, status, msg)
		return
	}
	var req protocol.RegisterRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		s.counters.Malformed.Add(1)
		writeRegisterError(w, http.StatusBadRequest, "the body is not a RegisterRequest")
		return
	}
	ok, _, refusal := s.registerActor(&req, addr, admissionOf(r.Header), nil)
	if refusal != nil {
		writeRegisterError(w, httpStatus(refusal.GetCode()), refusal.GetMessage())
		return
	}
	writeProtobuf(w, http.StatusOK, &protocol.RegisterResponse{Result: &protocol.RegisterResponse_Success{Success: ok}})
}

// serveRenew issues a fresh credential to the actor of a POSTed
// RenewCredentialRequest whose renewal token is the actor's current one
// (Server.renew, which rotates it).
func (s *Server) serveRenew(w http.ResponseWriter, r *http.Request, addr *addrState) {
	body, status, msg := s.readProtobufBody(w, r)
	if status != 0 {
		writeRenewError(w, status, msg)
		return
	}
	var req protocol.RenewCredentialRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		s.counters.Malformed.Add(1)
		writeRenewError(w, http.StatusBadRequest, "the body is not a RenewCredentialRequest")
		return
	}
	id, err := protocol.ActorIDFromProto(req.GetActrId())
	if err != nil || len(req.GetRenewalToken()) == 0 {
		s.counters.Malformed.Add(1)
		writeRenewError(w, http.StatusBadRequest, "a renewal needs a valid actr_id and a renewal_token")
		return
	}
	// Renewals share the registrations' budget of the address: a token
	// cannot be guessed faster than actors can register.
	if addr != nil {
		now := time.Now()
		addr.mu.Lock()
		allowed := addr.reg.take(now, s.cfg.RegisterRate, s.cfg.RegisterBurst)
		addr.mu.Unlock()
		if !allowed {
			s.counters.RateLimited.Add(1)
			s.counters.refuse(RefusedRegisterRate)
			w.Header().Set("Retry-After", "1")
			writeRenewError(w, http.StatusTooManyRequests, "too many registrations and renewals from your address: retry later")
			return
		}
	}
	ok, refusal := s.renew(id, req.GetRenewalToken())
	if refusal != nil {
		s.counters.refuse(RefusedRenewal)
		writeRenewError(w, httpStatus(refusal.GetCode()), refusal.GetMessage())
		return
	}
	writeProtobuf(w, http.StatusOK, &protocol.RenewCredentialResponse{Result: &protocol.RenewCredentialResponse_Success{Success: ok}})
}

// readProtobufBody checks method and content type and reads the body,
// within MaxRegisterBody bytes and HeaderTimeout. A refusal is counted
// and returned as an HTTP status and a message.
func (s *Server) readProtobufBody(w http.ResponseWriter, r *http.Request) ([]byte, int, string) {
	if r.Method != http.MethodPost {
		s.counters.refuse(RefusedHTTPMethod)
		w.Header().Set("Allow", http.MethodPost)
		return nil, http.StatusMethodNotAllowed, "POST a protobuf body"
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != ContentTypeProtobuf && mt != "application/protobuf") {
		s.counters.refuse(RefusedContentType)
		return nil, http.StatusUnsupportedMediaType, "Content-Type must be " + ContentTypeProtobuf
	}
	limit := int64(s.cfg.MaxRegisterBody)
	if r.ContentLength > limit {
		s.counters.refuse(RefusedBodySize)
		return nil, http.StatusRequestEntityTooLarge, "body over " + strconv.FormatInt(limit, 10) + " bytes"
	}
	// The server's connections have no read timeout (sockets live long):
	// a body must come as fast as a request's headers.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.HeaderTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.counters.refuse(RefusedBodySize)
			return nil, http.StatusRequestEntityTooLarge, "body over " + strconv.FormatInt(limit, 10) + " bytes"
		}
		s.counters.Malformed.Add(1)
		return nil, http.StatusBadRequest, "reading the body failed"
	}
	return body, 0, ""
}

// httpStatus is the HTTP status answering an ErrorResponse code.
func httpStatus(code uint32) int {
	if code >= 400 && code <= 599 {
		return int(code)
	}
	return http.StatusBadRequest
}

// writeRegisterError answers status with a RegisterResponse carrying the
// error, so that a client reads the reason whatever the status.
func writeRegisterError(w http.ResponseWriter, status int, msg string) {
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	writeProtobuf(w, status, &protocol.RegisterResponse{Result: &protocol.RegisterResponse_Error{Error: errorResponse(uint32(status), msg)}})
}

func writeRenewError(w http.ResponseWriter, status int, msg string) {
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	writeProtobuf(w, status, &protocol.RenewCredentialResponse{Result: &protocol.RenewCredentialResponse_Error{Error: errorResponse(uint32(status), msg)}})
}

func writeProtobuf(w http.ResponseWriter, status int, m proto.Message) {
	b, err := proto.Marshal(m)
	if err != nil {
		http.Error(w, "encoding the answer failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ContentTypeProtobuf)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// checkWSAddress checks a registered WebSocket gate URL: at most
// MaxWSAddress bytes, a ws:// or wss:// URL with a host and neither user
// information nor a fragment. "" (none) passes.
func (s *Server) checkWSAddress(raw string) (string, *protocol.ErrorResponse) {
	if raw == "" {
		return "", nil
	}
	refuse := func(why string) (string, *protocol.ErrorResponse) {
		s.counters.Malformed.Add(1)
		s.counters.refuse(RefusedWSAddress)
		return "", errf(CodeBadRequest, "register_request.ws_address: %s", why)
	}
	if len(raw) > s.cfg.MaxWSAddress {
		return refuse("at most " + strconv.Itoa(s.cfg.MaxWSAddress) + " bytes")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return refuse("not a URL")
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return refuse("want a ws:// or wss:// URL")
	}
	if u.Host == "" || u.Hostname() == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return refuse("want ws[s]://host[:port][/path], without user information or fragment")
	}
	return raw, nil
}

// ActorIDPlaceholder in a registered ws_address is replaced by the
// actor's id (its String form, as the gate's URL template has it) once
// the server has assigned it: an actor cannot know its id before it
// registers.
const ActorIDPlaceholder = "{actor_id}"

func completeWSAddress(addr string, id protocol.ActorID) string {
	return strings.ReplaceAll(addr, ActorIDPlaceholder, id.String())
}

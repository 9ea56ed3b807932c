// The socket.io wire protocol, mirrored from signaling/protocol.py (EVENTS):
// namespaces, event names, enum values and error codes. Nothing else in the
// browser spells a wire name; change both files together.

export const NAMESPACE = Object.freeze({
  CITIZEN: '/citizen',
  STAFF: '/staff',
  GUEST: '/guest', // invited third parties, no account
});

/** Events the citizen page emits (each with an ack) and receives. */
export const CITIZEN = Object.freeze({
  emit: Object.freeze({
    REQUEST: 'request', // {service, language|null} -> {ok, case_id, position, estimated_wait_seconds}
    CANCEL: 'cancel', // {} -> {ok}
    RTC_OFFER: 'rtc_offer', // {room_id, type: 'offer', sdp} -> {ok, type: 'answer', sdp}
    HANG_UP: 'hang_up', // {room_id} -> {ok}
    SEND_CHAT: 'send_chat', // {room_id, text} -> {ok, message: ChatMessageNotice}
    CHAT_HISTORY: 'chat_history', // {room_id} -> {ok, messages: [ChatMessageNotice], oldest first}
    RESUME: 'resume', // {resume_token} -> {ok, session: SessionStartedNotice}: after a reload
    // ROOM.emit events exist here too; a citizen always gets not_allowed.
  }),
  on: Object.freeze({
    QUEUE_POSITION: 'queue_position', // {case_id, position, estimated_wait_seconds|null, seq}
    REQUEST_ENDED: 'request_ended', // {case_id, reason}
    SESSION_STARTED: 'session_started', // {room_id, case_id, service, language, peer, resume_token}
    SESSION_ENDED: 'session_ended', // {room_id, case_id, reason, ended_by, feedback_token, feedback_expires_at}
    PEER_RECONNECTING: 'peer_reconnecting', // {room_id, deadline}: the interpreter dropped
    PEER_RECONNECTED: 'peer_reconnected', // {room_id}: the interpreter is back
    // ChatMessageNotice: {room_id, case_id, seq, sender, sender_party, sender_name, text, at}
    CHAT_MESSAGE: 'chat_message',
    VIDEO_QUALITY: 'video_quality', // sign language: {room_id, advice: [code]}, the server's check of your picture
    ROSTER: 'roster', // RosterNotice (see ROOM.on.ROSTER)
  }),
});

/** Events the staff console emits (each with an ack) and receives. */
export const STAFF = Object.freeze({
  emit: Object.freeze({
    SET_PRESENCE: 'set_presence', // {status: 'available'} | {status: 'away', reason} -> {ok, status, reason}
    ACCEPT_OFFER: 'accept_offer', // {offer_id} -> {ok}
    DECLINE_OFFER: 'decline_offer', // {offer_id} -> {ok}
    RTC_OFFER: 'rtc_offer',
    HANG_UP: 'hang_up',
    SEND_CHAT: 'send_chat',
    CHAT_HISTORY: 'chat_history',
    DEPARTMENTS: 'departments', // {} -> {ok, departments: ['welfare', ...]}
    WATCH_SESSION: 'watch_session', // supervisors: {room_id} -> {ok, session}; then rtc_offer (publishes nothing); hang_up leaves
    // and ROOM.emit (create_invite, request_counselor, transfer, cancel_join_request, remove_party)
  }),
  on: Object.freeze({
    ROSTER: 'roster', // RosterNotice
    LEFT_ROOM: 'left_room', // {room_id, reason: 'left'|'removed'|'transferred'|'elsewhere'}: you are out, the room goes on
    JOIN_REQUEST_ENDED: 'join_request_ended', // {room_id, kind: 'counselor'|'transfer', reason: 'declined_by_all'|'session_ended'|'cancelled'}
    STATUS: 'status', // {status, reason|null, since}
    SERVICE_CLOSING: 'service_closing', // {service, closes_at}: ten minutes before closing
    STAFF_PRESENCE: 'staff_presence', // supervisors: {staff_id, display_name, status, reason, since}
    DASHBOARD: 'dashboard', // supervisors: {at, queues: [...], staff: [...], sessions: [...]}, at most 1/s
    OFFER: 'offer', // {offer_id, case_id, service, language, expires_at, timeout_seconds}
    OFFER_CLOSED: 'offer_closed', // {offer_id, reason}
    SESSION_STARTED: 'session_started',
    SESSION_ENDED: 'session_ended',
    PEER_RECONNECTING: 'peer_reconnecting', // {room_id, deadline}: the citizen dropped (a reload?)
    PEER_RECONNECTED: 'peer_reconnected', // {room_id}: the citizen is back
    CHAT_MESSAGE: 'chat_message',
  }),
});

/** Room management: emitted on any namespace; only the session's interpreter or a supervisor may. */
export const ROOM = Object.freeze({
  emit: Object.freeze({
    CREATE_INVITE: 'create_invite', // {room_id, expires_in_minutes?=30} -> {ok, invite, url: '/guest?invite=...', expires_at}
    REQUEST_COUNSELOR: 'request_counselor', // {room_id, department} -> {ok}; the counselor gets an `offer` (purpose 'counselor')
    TRANSFER: 'transfer', // {room_id, to_staff_id|null} -> {ok}; the new one gets an `offer` (purpose 'transfer')
    CANCEL_JOIN_REQUEST: 'cancel_join_request', // {room_id} -> {ok}; withdraws the pending counselor or transfer request
    REMOVE_PARTY: 'remove_party', // {room_id, party} (a roster party id) -> {ok}
  }),
  on: Object.freeze({
    // {room_id, supervisor_present, parties: [{party, role, label, publishes, audio_only, you,
    //   media: {audio: mid|null, video: mid|null}}]}: media names the slot of YOUR peer connection
    ROSTER: 'roster',
  }),
});

/** Consent to recording: on every namespace (citizen, staff, guest). */
export const CONSENT = Object.freeze({
  emit: Object.freeze({
    GIVE_CONSENT: 'give_consent', // {room_id, consent: true|false} -> {ok}; false declines or withdraws
  }),
  on: Object.freeze({
    CONSENT_REQUEST: 'consent_request', // {room_id, records: ['audio', 'video']}: show the notice, ask
    // {room_id, state, reason: 'recording_unavailable'|null,
    //   parties: [{party, role, consent: 'asked'|'given'|'declined'|'withdrawn', you}]}
    RECORDING_STATE: 'recording_state',
  }),
});

/** Recording states (CONSENT.on.RECORDING_STATE's state). */
export const RECORDING_STATE = Object.freeze({
  OFF: 'off', // not recorded (reason says why: no key on the server)
  WAITING: 'waiting', // not everyone present agreed yet
  RECORDING: 'recording',
  PAUSED: 'paused', // someone new has not agreed yet; nothing is written
  STOPPED: 'stopped', // someone declined or withdrew
});

/** Events the guest page emits (each with an ack) and receives. */
export const GUEST = Object.freeze({
  emit: Object.freeze({
    JOIN: 'join', // {invite, audio_only} -> {ok, room_id, party, service, language, audio_only, resume_token}
    // {resume_token} -> the same as JOIN: after a reload, within the reconnect grace period
    RESUME: 'resume',
    RTC_OFFER: 'rtc_offer', // {room_id, type: 'offer', sdp} -> {ok, type: 'answer', sdp}
    SEND_CHAT: 'send_chat', // {room_id, text} -> {ok, message: GuestChatMessage}
    CHAT_HISTORY: 'chat_history', // {room_id} -> {ok, messages, you}
    LEAVE: 'leave', // {room_id} -> {ok}
  }),
  on: Object.freeze({
    ROSTER: 'roster',
    CHAT_MESSAGE: 'chat_message', // {room_id, seq, sender, sender_party, sender_name, text, at}: no case_id
    LEFT_ROOM: 'left_room', // {room_id, reason: 'removed'}
    ROOM_CLOSED: 'room_closed', // {room_id}: the session ended
  }),
});

/** Departments a counselor can come from (the server's list: STAFF.emit.DEPARTMENTS). */
export const DEFAULT_DEPARTMENTS = Object.freeze(['welfare', 'transport', 'tax', 'housing', 'health', 'immigration']);

/** counseling.services.Service */
export const SERVICE = Object.freeze({
  SIGN_LANGUAGE: 'sign_language',
  CHAT: 'chat', // text only: no camera, no peer connection
  FOREIGN_LANGUAGE: 'foreign_language',
});

/** counseling.services.Service.channel: does a session of `service` have video? */
export function isChatOnly(service) {
  return service === SERVICE.CHAT;
}

/** counseling.chat.MAX_CHAT_LENGTH: characters (code points) in one chat message. */
export const MAX_CHAT_LENGTH = 1000;

/** counseling.services.Language */
export const LANGUAGE = Object.freeze({
  KSL: 'ksl',
  KO: 'ko', // written Korean (chat)
  EN: 'en',
  ZH: 'zh',
  JA: 'ja',
  VI: 'vi',
  MN: 'mn',
});

/** counseling.services.LANGUAGES_BY_SERVICE, used only if /api/services fails. */
export const DEFAULT_SERVICES = Object.freeze([
  { service: SERVICE.SIGN_LANGUAGE, languages: [LANGUAGE.KSL] },
  { service: SERVICE.CHAT, languages: [LANGUAGE.KO] },
  {
    service: SERVICE.FOREIGN_LANGUAGE,
    languages: [LANGUAGE.EN, LANGUAGE.ZH, LANGUAGE.JA, LANGUAGE.VI, LANGUAGE.MN],
  },
]);

/** interpreter_pool.events.StaffStatus */
export const STAFF_STATUS = Object.freeze({
  OFFLINE: 'offline',
  AWAY: 'away',
  AVAILABLE: 'available',
  OFFERED: 'offered',
  IN_SESSION: 'in_session',
  WRAP_UP: 'wrap_up',
});

/** interpreter_pool.events.AwayReason */
export const AWAY_REASON = Object.freeze({
  BREAK: 'break',
  MEAL: 'meal',
  MEETING: 'meeting',
  TRAINING: 'training',
  OTHER: 'other',
  NOT_READY: 'not_ready', // set by the server: just signed in
  MISSED_OFFERS: 'missed_offers', // set by the server: offers left to expire
});

/** The away reasons a person may choose in set_presence (SetPresence.reason). */
export const CHOOSABLE_AWAY_REASONS = Object.freeze([
  AWAY_REASON.BREAK,
  AWAY_REASON.MEAL,
  AWAY_REASON.MEETING,
  AWAY_REASON.TRAINING,
  AWAY_REASON.OTHER,
]);

/** counseling.cases.EndReason */
export const END_REASON = Object.freeze({
  COMPLETED: 'completed',
  CITIZEN_CANCELLED: 'citizen_cancelled',
  CITIZEN_LEFT_WHILE_WAITING: 'citizen_left_while_waiting',
  DECLINED_BY_ALL: 'declined_by_all',
  CONNECTION_LOST: 'connection_lost',
  SERVICE_INTERRUPTED: 'service_interrupted',
  NO_SHOW: 'no_show',
});

/** counseling.cases.Party */
export const PARTY = Object.freeze({
  CITIZEN: 'citizen',
  INTERPRETER: 'interpreter',
  SYSTEM: 'system',
  COUNSELOR: 'counselor',
  GUEST: 'guest',
  SUPERVISOR: 'supervisor', // listens in, publishes nothing
});

/** OfferClosedNotice.reason */
export const OFFER_CLOSED_REASON = Object.freeze({
  DECLINED: 'declined',
  OFFER_EXPIRED: 'offer_expired',
  OFFER_WITHDRAWN: 'offer_withdrawn',
});

/** Error codes an ack or an HTTP error body can carry. */
export const ERROR_CODE = Object.freeze({
  // signaling.protocol.ErrorCode
  INVALID_PAYLOAD: 'invalid_payload',
  UNKNOWN_SERVICE: 'unknown_service',
  MEDIA_FAILED: 'media_failed',
  INTERNAL: 'internal_error',
  // interpreter_pool.errors
  ALREADY_WAITING: 'already_waiting',
  NOT_WAITING: 'not_waiting',
  UNKNOWN_OFFER: 'unknown_offer',
  NOT_YOUR_OFFER: 'not_your_offer',
  NOT_IN_ROOM: 'not_in_room',
  NOT_ON_DUTY: 'not_on_duty',
  IN_SESSION: 'in_session',
  // rooms of more than two (signaling/parties.py, interpreter_pool)
  NOT_ALLOWED: 'not_allowed', // only the session's interpreter or a supervisor may
  ROOM_FULL: 'room_full',
  ALREADY_IN_ROOM: 'already_in_room',
  INVITE_UNKNOWN: 'invite_unknown',
  INVITE_EXPIRED: 'invite_expired',
  INVITE_USED: 'invite_used',
  UNKNOWN_DEPARTMENT: 'unknown_department',
  JOIN_PENDING: 'join_pending', // a counselor or transfer request for this room is still open
  NO_JOIN_REQUEST: 'no_join_request', // cancel_join_request: nothing is pending (taken, declined, or ended)
  STAFF_UNAVAILABLE: 'staff_unavailable', // the named interpreter is not available or not qualified
  UNKNOWN_PARTY: 'unknown_party',
  // counseling.hours (the ack's error also carries next_open)
  SERVICE_CLOSED: 'service_closed',
  CLOSING_SOON: 'closing_soon',
  // counseling.reservations, on a request with a join_token (join_too_early carries next_open)
  JOIN_TOKEN_UNKNOWN: 'join_token_unknown',
  JOIN_TOO_EARLY: 'join_too_early',
  JOIN_TOKEN_EXPIRED: 'join_token_expired',
  // HTTP API
  BAD_CREDENTIALS: 'bad_credentials',
  // produced in the browser, never by the server
  TIMEOUT: 'timeout',
  CALL_FAILED: 'call_failed',
});

/** HTTP API paths (same origin). */
export const API = Object.freeze({
  LOGIN: '/api/login',
  LOGOUT: '/api/logout',
  ME: '/api/me',
  SERVICES: '/api/services',
  WAITS: '/api/waits', // the wait a request made now would have
  JOIN: '/api/join',
  GUEST_PAGE: '/guest', // ?invite=<token>
});

export const ACK_TIMEOUT_MS = 15000;

/** An ack of the form {ok: false, error: {code, message}}, or no ack in time. */
export class AckError extends Error {
  constructor(code, message, nextOpen = null) {
    super(message || code);
    this.name = 'AckError';
    this.code = code;
    this.nextOpen = nextOpen; // service_closed, closing_soon, join_too_early: ISO 8601 or null
  }
}

/**
 * Emit `event` with `payload` and wait for its ack.
 * Resolves with the ack when it says {ok: true}; rejects with AckError otherwise.
 */
export async function emitWithAck(socket, event, payload, timeoutMs = ACK_TIMEOUT_MS) {
  let ack;
  try {
    ack = await socket.timeout(timeoutMs).emitWithAck(event, payload);
  } catch (err) {
    throw new AckError(ERROR_CODE.TIMEOUT, `no answer to ${event}: ${err.message}`);
  }
  if (ack && ack.ok === true) {
    return ack;
  }
  const error = (ack && ack.error) || {};
  throw new AckError(error.code || ERROR_CODE.INTERNAL, error.message || '', error.next_open || null);
}

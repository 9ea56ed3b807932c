// The people of a room on screen: one large picture and a tile for everyone else
// who publishes, each labelled with their role ("audio only" when so), and a badge
// while a supervisor listens in. Driven by the server's `roster`, whose `media`
// names the slot (transceiver mid) of this browser's peer connection that carries
// each party; re-rendering never touches the peer connection.

import { onLocaleChange, setMessage, t } from './i18n.js';
import { PARTY } from './protocol.js';

/**
 * Whom each viewer sees large. Sign language first: the citizen keeps the
 * interpreter large and the interpreter keeps the citizen large, whoever talks;
 * everyone else sees the citizen large (the person the session is for).
 */
const LARGE_FIRST = Object.freeze({
  [PARTY.CITIZEN]: [PARTY.INTERPRETER, PARTY.COUNSELOR, PARTY.GUEST],
  [PARTY.INTERPRETER]: [PARTY.CITIZEN, PARTY.COUNSELOR, PARTY.GUEST],
  other: [PARTY.CITIZEN, PARTY.INTERPRETER, PARTY.COUNSELOR, PARTY.GUEST],
});

/** Roles whose roster label is a person's name (the rest are labelled by role). */
const NAMED_ROLES = new Set([PARTY.INTERPRETER, PARTY.COUNSELOR, PARTY.SUPERVISOR]);

/** The other parties that publish media (a supervisor listening in does not). */
export function remotePublishers(roster) {
  return ((roster && roster.parties) || []).filter((party) => party.publishes && !party.you);
}

/** The viewer's own roster entry, or null. */
export function ownParty(roster) {
  return ((roster && roster.parties) || []).find((party) => party.you) || null;
}

/**
 * Split a roster into the party shown large and the small tiles, by the rule
 * above. Someone with a camera goes large before anyone audio-only; the order of
 * the small tiles follows the roster (stable as people come and go).
 */
export function arrange(roster) {
  const others = remotePublishers(roster);
  const me = ownParty(roster);
  const order = LARGE_FIRST[me && me.role] || LARGE_FIRST.other;
  const rank = (party) => {
    const at = order.indexOf(party.role);
    return (party.audio_only ? order.length + 1 : 0) + (at < 0 ? order.length : at);
  };
  const large = [...others].sort((a, b) => rank(a) - rank(b))[0] || null;
  return { large, small: others.filter((party) => party !== large) };
}

/** The catalog key and parameters naming a party: its role, and a staff member's name. */
export function partyName(party) {
  const role = { key: `room.role.${party.role}` };
  if (NAMED_ROLES.has(party.role) && party.label) {
    return { key: 'room.party.named', params: { role, name: party.label } };
  }
  return { key: 'room.party.role', params: { role } };
}

const STYLESHEET = new URL('../css/room.css', import.meta.url).href;

/** The tiles' styles, on pages that do not link them themselves. */
export function ensureStylesheet() {
  if (![...document.querySelectorAll('link[rel="stylesheet"]')].some((link) => link.href === STYLESHEET)) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = STYLESHEET;
    document.head.append(link);
  }
}

function labelMedia(media, name) {
  media.setAttribute('aria-label', t('room.video.label', { who: name }));
}

const sameTracks = (stream, tracks) =>
  stream.getTracks().length === tracks.length && tracks.every((track) => stream.getTrackById(track.id));

/**
 * Tiles in the page. `large` is the big <video> (the page's #remote-video);
 * the small tiles, the large picture's caption, the supervisor badge and a line
 * that says who joined or left are made here, beside it.
 */
export class RoomTiles {
  constructor({ large, play, onMuted }) {
    this.large = large;
    this.play = play; // (mediaElement) -> Promise<boolean>: false when it had to start muted
    this.onMuted = onMuted;
    this.stage = large.parentElement;
    ensureStylesheet();
    this.tiles = new Map(); // party id -> {item, media, stream}
    this.largeParty = null;
    this.largeStream = new MediaStream();
    this.known = null; // party id -> name, to say who joined and who left
    this.away = new Set(); // party ids whose connection dropped

    this.caption = document.createElement('p');
    this.caption.className = 'large-caption';
    this.caption.hidden = true;
    this.stage.append(this.caption);

    this.badge = document.createElement('p');
    this.badge.className = 'supervisor-badge';
    this.badge.hidden = true;
    setMessage(this.badge, 'room.supervisor_listening');
    this.stage.before(this.badge);

    this.list = document.createElement('ul');
    this.list.className = 'room-tiles';
    this.list.hidden = true;
    this.list.setAttribute('data-i18n-attr', 'aria-label:room.tiles.label');
    this.list.setAttribute('aria-label', t('room.tiles.label'));
    this.stage.after(this.list);

    this.note = document.createElement('p');
    this.note.className = 'tiles-note';
    this.note.setAttribute('role', 'status');
    this.list.after(this.note);
    this.labels = new Map(); // media element -> the name it shows, for its aria-label
    this.unlisten = onLocaleChange(() => {
      for (const [media, name] of this.labels) {
        labelMedia(media, name);
      }
    });
  }

  /**
   * Show `roster` with the tracks of this browser's slots (`trackOf(mid)`); with
   * no roster yet, the first slot of each kind (a call of two) goes large.
   */
  render(roster, trackOf, firstMids) {
    if (!roster) {
      this.showLarge(null, [trackOf(firstMids.audio), trackOf(firstMids.video)]);
      return;
    }
    const { large, small } = arrange(roster);
    const tracksOf = (party) => [trackOf(party.media.audio), trackOf(party.media.video)];
    this.showLarge(large, large ? tracksOf(large) : []);
    const keep = new Set(small.map((party) => party.party));
    for (const [id, tile] of this.tiles) {
      if (!keep.has(id)) {
        this.dropTile(id, tile);
      }
    }
    const items = small.map((party) => this.renderTile(party, tracksOf(party)));
    // Move only what is out of place: a moved <video> would restart.
    items.forEach((item, at) => {
      if (this.list.children[at] !== item) {
        this.list.insertBefore(item, this.list.children[at] || null);
      }
    });
    this.list.hidden = items.length === 0;
    // The stage and its box (the page's .picture) know how many tiles follow, for the layout.
    this.stage.dataset.tiles = String(items.length);
    this.stage.parentElement.dataset.tiles = String(items.length);
    this.badge.hidden = !roster.supervisor_present;
    document.body.dataset.supervisor = roster.supervisor_present ? 'listening' : 'none';
    this.announce(roster);
  }

  showLarge(party, tracks) {
    const live = tracks.filter(Boolean);
    this.largeParty = party;
    if (!sameTracks(this.largeStream, live)) {
      this.largeStream = new MediaStream(live);
      this.large.srcObject = this.largeStream;
    }
    if (party) {
      const name = partyName(party);
      setMessage(this.caption, name.key, name.params);
      this.large.removeAttribute('data-i18n-attr'); // named after the person, not "the other person"
      this.labels.set(this.large, name);
      labelMedia(this.large, name);
      this.large.dataset.party = party.party;
      this.large.dataset.role = party.role;
      this.large.dataset.reconnecting = String(Boolean(party.reconnecting));
      this.caption.hidden = false;
    } else {
      this.caption.hidden = true;
      delete this.large.dataset.party;
      delete this.large.dataset.role;
      delete this.large.dataset.reconnecting;
    }
    if (live.length > 0) {
      this.start(this.large);
    }
  }

  renderTile(party, tracks) {
    let tile = this.tiles.get(party.party);
    const audioOnly = Boolean(party.audio_only);
    if (tile && tile.audioOnly !== audioOnly) {
      this.dropTile(party.party, tile);
      tile = null;
    }
    if (!tile) {
      tile = this.makeTile(audioOnly);
      this.tiles.set(party.party, tile);
    }
    const { item, media, label } = tile;
    item.dataset.party = party.party;
    item.dataset.role = party.role;
    const name = partyName(party);
    setMessage(label.querySelector('.room-tile-name'), name.key, name.params);
    this.labels.set(media, name);
    labelMedia(media, name);
    const live = tracks.filter(Boolean);
    item.dataset.connected = String(live.length > 0);
    // Their connection dropped (a reload): the place is kept while they come back.
    item.dataset.reconnecting = String(Boolean(party.reconnecting));
    if (party.reconnecting && !tile.reconnecting) {
      tile.reconnecting = document.createElement('span');
      tile.reconnecting.className = 'room-tile-reconnecting';
      setMessage(tile.reconnecting, 'room.reconnecting');
      label.querySelector('.room-tile-name').after(' ', tile.reconnecting);
    } else if (!party.reconnecting && tile.reconnecting) {
      tile.reconnecting.previousSibling.remove(); // the space before it
      tile.reconnecting.remove();
      tile.reconnecting = null;
    }
    if (!sameTracks(tile.stream, live)) {
      tile.stream = new MediaStream(live);
      media.srcObject = tile.stream;
    }
    if (live.length > 0) {
      this.start(media);
    }
    return item;
  }

  makeTile(audioOnly) {
    const item = document.createElement('li');
    item.className = 'room-tile';
    item.dataset.audioOnly = String(audioOnly);
    const media = document.createElement(audioOnly ? 'audio' : 'video');
    media.autoplay = true;
    if (!audioOnly) {
      media.playsInline = true;
      media.setAttribute('playsinline', '');
      media.setAttribute('webkit-playsinline', '');
    }
    const label = document.createElement('p');
    label.className = 'room-tile-label';
    const name = document.createElement('span');
    name.className = 'room-tile-name';
    label.append(name);
    if (audioOnly) {
      const only = document.createElement('span');
      only.className = 'room-tile-audio-only';
      setMessage(only, 'room.audio_only');
      label.append(' ', only);
      const icon = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      icon.setAttribute('class', 'room-tile-icon');
      icon.setAttribute('aria-hidden', 'true');
      icon.setAttribute('viewBox', '0 0 24 24');
      icon.innerHTML =
        '<path d="M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3z"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/>';
      item.append(icon);
    }
    item.append(media, label);
    return { item, media, label, reconnecting: null, audioOnly, stream: new MediaStream() };
  }

  dropTile(id, tile) {
    this.labels.delete(tile.media);
    tile.media.srcObject = null;
    tile.item.remove();
    this.tiles.delete(id);
  }

  async start(media) {
    if (media.paused && !(await this.play(media)) && this.onMuted) {
      this.onMuted();
    }
  }

  /** Say who joined or left, seen and read out (nothing here depends on hearing). */
  announce(roster) {
    const now = new Map(
      roster.parties.filter((party) => !party.you).map((party) => [party.party, partyName(party)]),
    );
    const away = new Set(roster.parties.filter((party) => party.reconnecting).map((party) => party.party));
    if (this.known) {
      const joined = [...now.keys()].filter((id) => !this.known.has(id));
      const left = [...this.known.keys()].filter((id) => !now.has(id));
      const dropped = [...away].filter((id) => !this.away.has(id) && now.has(id));
      if (joined.length > 0) {
        setMessage(this.note, 'room.joined', { who: now.get(joined[0]) });
      } else if (left.length > 0) {
        setMessage(this.note, 'room.left', { who: this.known.get(left[0]) });
      } else if (dropped.length > 0) {
        setMessage(this.note, 'room.reconnecting.note', { who: now.get(dropped[0]) });
      }
    }
    this.known = now;
    this.away = away;
  }

  /** Every remote picture and sound element (for "turn on sound"). */
  mediaElements() {
    return [this.large, ...[...this.tiles.values()].map((tile) => tile.media)];
  }

  destroy() {
    this.unlisten();
    for (const [id, tile] of this.tiles) {
      this.dropTile(id, tile);
    }
    this.large.srcObject = null;
    this.large.setAttribute('data-i18n-attr', 'aria-label:video.remote.label');
    this.large.setAttribute('aria-label', t('video.remote.label'));
    delete this.large.dataset.party;
    delete this.large.dataset.role;
    this.caption.remove();
    this.badge.remove();
    this.list.remove();
    this.note.remove();
    delete this.stage.dataset.tiles;
    delete this.stage.parentElement.dataset.tiles;
    delete document.body.dataset.supervisor;
  }
}

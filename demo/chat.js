/**
 * The demo chat page. It speaks the JSON protocol of business/events.ts over the browser client library
 * (browser-client/), which the gateway serves under /client/: no build step. After a lost connection the library reconnects by itself; this
 * page then logs in again and rejoins its rooms, since the new connection is a new client at the gateway.
 */
// A URL: where the gateway serves browser-client/ (demo/tsconfig.json maps it for the type checker).
import { SwitchboardClient } from '../client/index.js';

/**
 * @typedef {{ type: 'hello', clientId: string }
 *   | { type: 'welcome', uid: string, online: string[] }
 *   | { type: 'online' | 'offline', uid: string }
 *   | { type: 'say', from: string, text: string }
 *   | { type: 'joined', room: string, uid: string }
 *   | { type: 'room', room: string, from: string, text: string }
 *   | { type: 'all', from: string, text: string }
 *   | { type: 'who', online: string[] }
 *   | { type: 'error', error: string }} ChatEvent
 */

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function element(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no #${id}`);
  return found;
}

const ui = {
  status: element('status', HTMLElement),
  identity: element('identity', HTMLElement),
  loginForm: element('login-form', HTMLFormElement),
  uid: element('uid', HTMLInputElement),
  chat: element('chat', HTMLElement),
  online: element('online', HTMLUListElement),
  onlineCount: element('online-count', HTMLElement),
  rooms: element('rooms', HTMLUListElement),
  joinForm: element('join-form', HTMLFormElement),
  room: element('room', HTMLInputElement),
  log: element('log', HTMLUListElement),
  sendForm: element('send-form', HTMLFormElement),
  target: element('target', HTMLSelectElement),
  text: element('text', HTMLInputElement),
};

const chat = {
  /** The name this page logged in with; null before the first login. */
  uid: /** @type {string | null} */ (null),
  /** True once the gateway welcomed the login on the current connection. */
  welcomed: false,
  /** Whether any login was welcomed yet (the next ones are logins again after a reconnect). */
  everWelcomed: false,
  clientId: '',
  online: new Set(/** @type {string[]} */ ([])),
  rooms: new Set(/** @type {string[]} */ ([])),
};

const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
const client = new SwitchboardClient(url);

client.on('open', () => {
  setStatus('open', 'connected');
  // A new connection is a new client at the gateway: log in and join the rooms again, before anything queued.
  if (chat.uid && chat.everWelcomed) {
    client.send({ type: 'login', uid: chat.uid });
    for (const room of chat.rooms) client.send({ type: 'join', room });
  }
});

client.on('close', (event) => {
  chat.welcomed = false;
  const why = `${event.code}${event.reason ? `, ${event.reason}` : ''}`;
  if (event.willReconnect) {
    setStatus('reconnecting', 'reconnecting…');
    addLine('system problem', null, `Connection lost (${why}). Reconnecting; messages you send meanwhile wait.`);
  } else {
    setStatus('closed', 'disconnected');
    addLine('system problem', null, `Disconnected (${why}). Reload the page to connect again.`);
  }
});

client.on('reconnect', ({ attempt, delay }) => {
  setStatus('reconnecting', `reconnecting in ${(delay / 1000).toFixed(1)} s (attempt ${attempt})`);
});

client.on('error', (err) => addLine('system problem', null, err.message));

client.on('message', (message) => {
  const event = message.json();
  if (event && typeof event === 'object' && 'type' in event) handle(/** @type {ChatEvent} */ (event));
});

/** @param {ChatEvent} event */
function handle(event) {
  switch (event.type) {
    case 'hello':
      chat.clientId = event.clientId;
      showIdentity();
      return;
    case 'welcome':
      addLine('system', null, chat.everWelcomed ? `Back online as ${event.uid}.` : `Logged in as ${event.uid}.`);
      chat.welcomed = chat.everWelcomed = true;
      chat.uid = event.uid;
      chat.online = new Set(event.online);
      ui.loginForm.hidden = true;
      ui.chat.hidden = false;
      showIdentity();
      renderPeople();
      ui.text.focus();
      return;
    case 'online':
      chat.online.add(event.uid);
      renderPeople();
      return;
    case 'offline':
      chat.online.delete(event.uid);
      renderPeople();
      return;
    case 'who':
      chat.online = new Set(event.online);
      renderPeople();
      return;
    case 'say':
      addLine('say', `${event.from} → you`, event.text);
      return;
    case 'joined':
      if (event.uid !== chat.uid) addLine('system', null, `${event.uid} joined #${event.room}.`);
      else if (!chat.rooms.has(event.room)) {
        chat.rooms.add(event.room);
        addLine('system', null, `You joined #${event.room}.`);
        renderRooms();
        selectTarget(`room:${event.room}`);
      }
      return;
    case 'room':
      addLine('room', `${event.from} in #${event.room}`, event.text);
      return;
    case 'all':
      addLine('all', `${event.from} to everyone`, event.text);
      return;
    case 'error':
      addLine('system problem', null, event.error);
      return;
  }
}

ui.loginForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const uid = ui.uid.value.trim();
  if (!uid) return;
  chat.uid = uid;
  client.send({ type: 'login', uid });
});

ui.joinForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const room = ui.room.value.trim().replace(/^#/, '');
  if (!room) return;
  client.send({ type: 'join', room });
  ui.room.value = '';
});

ui.sendForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = ui.text.value.trim();
  if (!text) return;
  const [kind, ...rest] = ui.target.value.split(':');
  const name = rest.join(':');
  let sent = false;
  if (kind === 'user') {
    sent = client.send({ type: 'say', to: name, text });
    // The gateway sends a private message only to its receiver: show our side here.
    if (sent && name !== chat.uid) addLine('say mine', `you → ${name}`, text);
  } else if (kind === 'room') {
    sent = client.send({ type: 'room', room: name, text });
    if (sent) addLine('room mine', `you in #${name}`, text);
  } else {
    // A broadcast comes back to the sender too.
    sent = client.send({ type: 'all', text });
  }
  if (sent) ui.text.value = '';
});

/**
 * @param {string} state
 * @param {string} text
 */
function setStatus(state, text) {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function showIdentity() {
  const who = chat.welcomed && chat.uid ? `${chat.uid} · ` : '';
  ui.identity.textContent = chat.clientId ? `${who}client ${chat.clientId}` : '';
}

/**
 * @param {string} kind css classes of the line
 * @param {string | null} who
 * @param {string} text
 */
function addLine(kind, who, text) {
  const line = document.createElement('li');
  line.className = kind;
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  line.append(time);
  if (who) {
    const from = document.createElement('span');
    from.className = 'who';
    from.textContent = who;
    line.append(from);
  }
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  line.append(body);
  const atBottom = ui.log.scrollTop + ui.log.clientHeight >= ui.log.scrollHeight - 8;
  ui.log.append(line);
  if (atBottom) line.scrollIntoView({ block: 'end' });
}

function renderPeople() {
  const people = [...chat.online].sort();
  ui.onlineCount.textContent = String(people.length);
  ui.online.replaceChildren(
    ...people.map((uid) => {
      const item = document.createElement('li');
      const pick = document.createElement('button');
      pick.type = 'button';
      pick.textContent = uid === chat.uid ? `${uid} (you)` : uid;
      pick.title = `Send ${uid} a private message`;
      pick.addEventListener('click', () => selectTarget(`user:${uid}`));
      item.append(pick);
      return item;
    }),
  );
  renderTargets();
}

function renderRooms() {
  ui.rooms.replaceChildren(
    ...[...chat.rooms].sort().map((room) => {
      const item = document.createElement('li');
      const pick = document.createElement('button');
      pick.type = 'button';
      pick.textContent = `#${room}`;
      pick.title = `Write to #${room}`;
      pick.addEventListener('click', () => selectTarget(`room:${room}`));
      const leave = document.createElement('button');
      leave.type = 'button';
      leave.className = 'leave';
      leave.textContent = 'leave';
      leave.title = `Leave #${room}`;
      leave.addEventListener('click', () => {
        client.send({ type: 'leave', room });
        chat.rooms.delete(room);
        addLine('system', null, `You left #${room}.`);
        renderRooms();
      });
      item.append(pick, leave);
      return item;
    }),
  );
  renderTargets();
}

/** The "send to" choices: everyone, each joined room, each other user online. */
function renderTargets() {
  const chosen = ui.target.value;
  const option = (/** @type {string} */ value, /** @type {string} */ label) => new Option(label, value);
  ui.target.replaceChildren(
    option('all', 'Everyone'),
    ...[...chat.rooms].sort().map((room) => option(`room:${room}`, `#${room}`)),
    ...[...chat.online]
      .filter((uid) => uid !== chat.uid)
      .sort()
      .map((uid) => option(`user:${uid}`, `@${uid} (private)`)),
  );
  if ([...ui.target.options].some((o) => o.value === chosen)) ui.target.value = chosen;
}

/** @param {string} value */
function selectTarget(value) {
  renderTargets();
  ui.target.value = value;
  ui.text.focus();
}

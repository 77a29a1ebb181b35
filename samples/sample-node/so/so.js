// Licensed under the Apache License, Version 2.0 (the "License"); you may
// not use this file except in compliance with the License. You may obtain
// a copy of the License at
//
//      http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
// WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
// License for the specific language governing permissions and limitations
// under the License.
//
// The samplenode service's SO, in Node.js with its standard library only
// (no Hurtle SDK): it serves the SO API (doc/source/contributor/so-api.rst)
// and creates its one Heat stack through the CC's stack kind
// (doc/source/contributor/cc-api.rst), so it holds no cloud credentials.
//
// Environment (set by the CC): HURTLE_SO_SECRET, HURTLE_APP_ID,
// HURTLE_CC_URL, HURTLE_INSTANCE_ID, HURTLE_SO_TEMPLATES; the port
// contract: HURTLE_SO_HOST, HURTLE_SO_PORT (0: any free port) and
// HURTLE_SO_PORT_FILE (write the bound port there, atomically); and
// HURTLE_SO_STATE_FILE, where the SO keeps its state so that a restarted
// process resumes (see "state" below); HURTLE_SO_READY_FD (optional): a
// pipe to write the bound port to once listening, then close (the
// readiness notice: the CC needs no polling).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');

const SO_PATH = '/orchestrator/default';
const SO_KIND = 'http://schemas.mobile-cloud-networking.eu/occi/service#' +
    'orchestrator';
const STACK_KIND = 'http://schemas.hurtle.it/occi/cc#stack';
const OCCI_JSON = 'application/occi+json';
const DISPOSE_TIMEOUT_MS = 300000;
// Attributes GET never reports as outputs.
const RESERVED = new Set(['occi.core.id', 'occi.core.title']);

const env = process.env;
const SECRET = env.HURTLE_SO_SECRET || '';
const INSTANCE = env.HURTLE_INSTANCE_ID || env.HURTLE_APP_ID || 'node';
const STACK_NAME = 'hurtle-' + INSTANCE;

function log(message) {
  // Never log the secret or request headers.
  process.stdout.write(new Date().toISOString() + ' so.js: ' + message +
                       '\n');
}

// An error with the HTTP status the SM should get.
class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// --- templates ------------------------------------------------------------
function templates() {
  let paths = {};
  try {
    paths = JSON.parse(env.HURTLE_SO_TEMPLATES || '{}') || {};
  } catch (err) {
    log('HURTLE_SO_TEMPLATES is not JSON; using the bundle\'s template');
  }
  const fallback = path.join(__dirname, '..', 'templates', 'node.yaml');
  return {deployment: paths.deployment || fallback,
          provision: paths.provision || paths.deployment || fallback};
}

function readTemplate(phase) {
  const file = templates()[phase];
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new HttpError(409, phase + ': template ' + file + ' missing');
  }
}

// --- OCCI text rendering (text/occi headers) ------------------------------
// Split on `sep` outside double quotes (backslash escapes inside).
function splitQuoted(text, sep) {
  const parts = [];
  let cur = '';
  let quoted = false;
  let escaped = false;
  for (const ch of text) {
    if (escaped) {
      cur += ch;
      escaped = false;
    } else if (quoted && ch === '\\') {
      cur += ch;
      escaped = true;
    } else if (ch === '"') {
      quoted = !quoted;
      cur += ch;
    } else if (ch === sep && !quoted) {
      parts.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (quoted) {
    throw new HttpError(400, 'unbalanced quote in: ' + text.slice(0, 80));
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p);
}

// A rendered value: "quoted string", true/false, a number, else the text.
function parseValue(raw) {
  raw = raw.trim();
  if (raw.length >= 2 && raw[0] === '"' && raw[raw.length - 1] === '"') {
    return raw.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  if (raw === 'true' || raw === 'false') {
    return raw === 'true';
  }
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) {
    return Number(raw);
  }
  return raw;
}

function renderValue(value) {
  if (typeof value === 'boolean' || typeof value === 'number') {
    return String(value);
  }
  if (value !== null && typeof value === 'object') {
    value = JSON.stringify(value);
  }
  return '"' + String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')
      .replace(/[\r\n]/g, ' ') + '"';
}

// The OCCI header lines of a request: its headers, and for text/plain
// the body's lines.
function occiValues(req, body, name) {
  const values = [];
  const header = req.headers[name.toLowerCase()];
  if (header) {
    // Header bytes are UTF-8; Node hands them over as latin-1.
    values.push(...splitQuoted(Buffer.from(header, 'latin1')
        .toString('utf8'), ','));
  }
  if (contentType(req) === 'text/plain') {
    for (const line of body.split('\n')) {
      const at = line.indexOf(':');
      if (at > 0 && line.slice(0, at).trim().toLowerCase() ===
          name.toLowerCase()) {
        values.push(...splitQuoted(line.slice(at + 1), ','));
      }
    }
  }
  return values;
}

function contentType(req) {
  return (req.headers['content-type'] || '').split(';')[0].trim()
      .toLowerCase();
}

// The request's attributes (an object of typed values) and action term.
function parseRequest(req, body) {
  if (contentType(req) === OCCI_JSON || contentType(req) ===
      'application/json') {
    let doc;
    try {
      doc = body ? JSON.parse(body) : {};
    } catch (err) {
      throw new HttpError(400, 'the body is not JSON: ' + err.message);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new HttpError(400, 'the body must be a JSON object');
    }
    const attrs = doc.attributes || {};
    if (typeof attrs !== 'object' || Array.isArray(attrs)) {
      throw new HttpError(400, 'attributes must be a JSON object');
    }
    return attrs;
  }
  const attrs = {};
  for (const item of occiValues(req, body, 'X-OCCI-Attribute')) {
    const at = item.indexOf('=');
    if (at < 1) {
      throw new HttpError(400, 'malformed attribute (want name=value): ' +
                          item.slice(0, 80));
    }
    attrs[item.slice(0, at).trim()] = parseValue(item.slice(at + 1));
  }
  return attrs;
}

// Attributes the SM set, without the OCCI core ones.
function userAttributes(attrs) {
  const out = {};
  for (const [key, value] of Object.entries(attrs)) {
    if (!key.startsWith('occi.core.')) {
      out[key] = value;
    }
  }
  return out;
}

// --- the CC's stack kind --------------------------------------------------
function ccRequest(method, ref, attributes) {
  const base = (env.HURTLE_CC_URL || '').replace(/\/+$/, '');
  let url;
  try {
    url = new URL(base + '/stack/' + (ref === undefined ? '' :
        encodeURIComponent(ref)));
  } catch (err) {
    log('HURTLE_CC_URL is not a URL: ' + err.message);
    return Promise.reject(new HttpError(503, 'deployment service (CC) ' +
                                        'unavailable'));
  }
  const body = attributes === undefined ? null : JSON.stringify(
      {kind: STACK_KIND, attributes: attributes});
  const headers = {'X-Auth-Token': SECRET,
                   'X-Hurtle-App-Id': env.HURTLE_APP_ID || '',
                   'Accept': OCCI_JSON};
  if (body !== null) {
    headers['Content-Type'] = OCCI_JSON;
    headers['Content-Length'] = Buffer.byteLength(body);
  }
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, {method: method, headers: headers,
                                  timeout: 30000}, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let doc = null;
        try {
          doc = text ? JSON.parse(text) : null;
        } catch (err) {
          doc = null;
        }
        resolve({status: res.statusCode, headers: res.headers,
                 doc: doc, text: text});
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      log(method + ' ' + url.pathname + ' failed: ' + err.message);
      reject(new HttpError(503, 'deployment service (CC) unavailable'));
    });
    if (body !== null) {
      req.write(body);
    }
    req.end();
  });
}

// The CC's error sentence of a response.
function ccMessage(res) {
  const doc = res.doc;
  if (doc && typeof doc === 'object') {
    const inner = typeof doc.error === 'object' && doc.error ? doc.error : doc;
    for (const key of ['message', 'description', 'title']) {
      if (inner[key]) {
        return String(inner[key]);
      }
    }
  }
  return (res.text || '').trim().slice(0, 500) || 'HTTP ' + res.status;
}

// Fail with what the SM understands: 503 stays 503, any other refusal 409.
function ccCheck(what, res) {
  if (res.status >= 400) {
    throw new HttpError(res.status === 503 ? 503 : 409,
                        what + ': ' + ccMessage(res));
  }
  return res;
}

function stackAttributes(res) {
  const doc = res.doc || {};
  const entity = Array.isArray(doc.resources) ? doc.resources[0] || {} : doc;
  return entity.attributes || {};
}

// --- state ----------------------------------------------------------------
// The SO's state: null until PUT and after DELETE, else
//   {attributes: {...},            the instance's values the CC accepted
//    stackId: '<Heat id>' | null,  the stack, once the CC made it
//    phase: 'created' | 'deployed' | 'provisioned',   the last step done
//    pending: null | {action: 'deploy' | 'provision' | 'update',
//                     attributes: {...}}}   a step started, not finished
// It is kept in HURTLE_SO_STATE_FILE (JSON, plus "version" and
// "instance"), written before any answer that changes it, atomically (a
// temporary file, then a rename) with mode 0600, and removed once
// disposed. A process started with the file serves the entity again and
// finishes the pending step (resume). Without the variable the state
// lives in memory only.
const STATE_FILE = env.HURTLE_SO_STATE_FILE || '';
const STATE_VERSION = 1;
const PHASES = new Set(['created', 'deployed', 'provisioned']);
const ACTIONS = new Set(['deploy', 'provision', 'update']);

let so = null;
// Why the state file cannot be used, or null. Every request then answers
// 409 with it: starting afresh would forget the stack, and exiting would
// only make the CC restart the SO in a loop. The file is read again at
// each request, so fixing or removing it is enough.
let stateProblem = null;

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// The state written in `text`; throws an Error saying what is wrong.
function parseState(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error('it is not JSON');
  }
  if (!isObject(data) || data.version !== STATE_VERSION) {
    throw new Error('it is not a version ' + STATE_VERSION + ' SO state');
  }
  if (data.instance !== INSTANCE) {
    throw new Error('it is the state of another instance');
  }
  const pending = data.pending;
  const stackOk = data.stackId === null ||
      (typeof data.stackId === 'string' && data.stackId !== '');
  const pendingOk = pending === null || (isObject(pending) &&
      ACTIONS.has(pending.action) && isObject(pending.attributes));
  if (!isObject(data.attributes) || !PHASES.has(data.phase) || !stackOk ||
      !pendingOk) {
    throw new Error('its fields are not those the SO writes');
  }
  return {attributes: data.attributes, stackId: data.stackId,
          phase: data.phase, pending: pending};
}

function stateUnusable(why) {
  if (stateProblem !== why) {
    log('the state file ' + STATE_FILE + ' is unusable: ' + why +
        '; fix or remove it');
  }
  so = null;
  stateProblem = why;
}

// (Re)read the state file into `so`, or set `stateProblem`.
function loadState() {
  if (!STATE_FILE) {
    return;
  }
  let text;
  try {
    text = fs.readFileSync(STATE_FILE, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') {
      so = null;
      stateProblem = null;
    } else {
      stateUnusable('it cannot be read (' + (err.code || err.message) + ')');
    }
    return;
  }
  try {
    so = parseState(text);
    stateProblem = null;
  } catch (err) {
    stateUnusable(err.message);
  }
}

// Write `text` to `file` atomically, readable by its owner only.
function writePrivate(file, text) {
  const tmp = file + '.tmp';
  fs.rmSync(tmp, {force: true});
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

// Make `next` the state: on disk first (the file removed for null), so
// that the SO never answers with what a restart would lose.
function save(next) {
  if (STATE_FILE) {
    try {
      if (next === null) {
        fs.rmSync(STATE_FILE, {force: true});
      } else {
        writePrivate(STATE_FILE, JSON.stringify(Object.assign(
            {version: STATE_VERSION, instance: INSTANCE}, next)));
      }
    } catch (err) {
      log('cannot write the state file ' + STATE_FILE + ': ' + err.message);
      throw new HttpError(503, 'the SO cannot save its state');
    }
  }
  so = next;
}

// The state with `changes` made.
function changed(changes) {
  return Object.assign({}, so, changes);
}

// --- the SO ---------------------------------------------------------------
function parameters(phase, attrs) {
  const params = {provisioned: phase !== 'deployment'};
  const greeting = attrs['samplenode.greeting'];
  if (greeting !== undefined) {
    if (typeof greeting !== 'string' || greeting.length < 1 ||
        greeting.length > 64) {
      throw new HttpError(400, 'samplenode.greeting must be a text of 1 ' +
                          'to 64 characters');
    }
    params.greeting = greeting;
    params.greeting_query = queryValue(greeting);
  }
  return params;
}

// `text` percent-encoded as a URL query value (RFC 3986): UTF-8, every
// character but letters, digits and -._~ encoded, so that a greeting
// cannot add query parameters or a fragment to the endpoint URL.
function queryValue(text) {
  return encodeURIComponent(text).replace(
      /[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function sameValues(a, b) {
  const text = (o) => JSON.stringify(Object.keys(o).sort().map(
      (key) => [key, o[key]]));
  return text(a) === text(b);
}

async function readStack(what, ref) {
  return stackAttributes(ccCheck(what, await ccRequest('GET', ref)));
}

// Heat's id of the live stack named STACK_NAME at the CC, or null.
async function findStack(what) {
  const res = await ccRequest('GET', STACK_NAME);
  if (res.status === 404) {
    return null;
  }
  const stack = stackAttributes(ccCheck(what, res));
  if (String(stack['hurtle.stack.state'] || '').startsWith('DELETE_')) {
    return null;
  }
  return stack['hurtle.stack.id'] || STACK_NAME;
}

// Create the stack, or adopt it if it is there already: an earlier
// attempt made it and the SO died before it saved its id.
async function createStack(attrs) {
  let stackId = await findStack('deploy');
  if (stackId !== null) {
    log('stack ' + stackId + ' found: adopted');
    return stackId;
  }
  const res = await ccRequest('POST', undefined, {
    'occi.core.title': STACK_NAME,
    'hurtle.stack.template': readTemplate('deployment'),
    'hurtle.stack.parameters': parameters('deployment', attrs)});
  if (res.status !== 409) {   // 409: the name is in use, made meanwhile
    ccCheck('deploy', res);
  }
  stackId = await findStack('deploy');
  if (stackId === null) {
    throw new HttpError(503, 'deploy: the stack is not there yet');
  }
  log('stack ' + stackId + ' created');
  return stackId;
}

// Run `step` (an async function) for so.pending; a refusal (not a 503,
// which is tried again) drops the pending step, so that the state says
// what is true.
async function settling(step) {
  try {
    await step();
  } catch (err) {
    if (so !== null && so.pending !== null &&
        !(err instanceof HttpError && err.status === 503)) {
      save(changed({pending: null}));
    }
    throw err;
  }
}

// Finish so.pending.
async function runPending() {
  const pending = so.pending;
  if (pending.action === 'deploy') {
    const stackId = await createStack(pending.attributes);
    save(changed({attributes: pending.attributes, stackId: stackId,
                  phase: 'deployed', pending: null}));
    return;
  }
  ccCheck(pending.action, await ccRequest('POST', so.stackId, {
    'hurtle.stack.template': readTemplate('provision'),
    'hurtle.stack.parameters': parameters('provision', pending.attributes)}));
  // Remembered once the CC accepted them.
  save(changed({attributes: pending.attributes, phase: 'provisioned',
                pending: null}));
  log(pending.action + ': stack ' + so.stackId + ' updating');
}

// After a restart: finish the step the SO was in when it died.
async function resume() {
  const pending = so.pending;
  log('resuming the ' + pending.action + ' under way before the restart');
  await settling(async () => {
    if (pending.action !== 'deploy') {
      // A stack being updated says the CC accepted the update before the
      // SO died (the SM never asks for one while the stack is busy).
      const stack = await readStack(pending.action, so.stackId);
      if (String(stack['hurtle.stack.state'] || '').endsWith(
          '_IN_PROGRESS')) {
        save(changed({attributes: pending.attributes, phase: 'provisioned',
                      pending: null}));
        return;
      }
    }
    await runPending();
  });
}

async function deploy(attrs) {
  const merged = Object.assign({}, so.attributes, attrs);
  parameters('deployment', merged);   // refuse bad values at once
  if (so.stackId) {
    return;   // deployed already: repeating is harmless
  }
  save(changed({pending: {action: 'deploy', attributes: merged}}));
  await settling(runPending);
}

async function updateStack(action, attrs) {
  const merged = Object.assign({}, so.attributes, attrs);
  parameters('provision', merged);
  if (!so.stackId) {
    throw new HttpError(409, action + ': nothing deployed yet');
  }
  if (so.phase === 'provisioned' && sameValues(merged, so.attributes)) {
    // The same values again (a repeated call): a stack still being
    // updated with them is not updated a second time.
    const stack = await readStack(action, so.stackId);
    if (String(stack['hurtle.stack.state'] || '').endsWith('_IN_PROGRESS')) {
      return;
    }
  }
  save(changed({pending: {action: action, attributes: merged}}));
  await settling(runPending);
}

async function state() {
  const attrs = {};
  if (!so.stackId) {
    attrs['occi.mcn.stack.state'] = 'NOT_DEPLOYED';
    attrs['occi.mcn.stack.id'] = '';
    return attrs;
  }
  const stack = await readStack('state', so.stackId);
  let outputs = stack['hurtle.stack.outputs'] || {};
  if (typeof outputs === 'string') {
    try {
      outputs = JSON.parse(outputs || '{}');
    } catch (err) {
      outputs = {};
    }
  }
  for (const [key, value] of Object.entries(outputs || {})) {
    if (!RESERVED.has(key)) {
      attrs[key] = value;
    }
  }
  attrs['occi.mcn.stack.state'] = stack['hurtle.stack.state'] || '';
  attrs['occi.mcn.stack.id'] = stack['hurtle.stack.id'] || so.stackId;
  if (stack['hurtle.stack.reason']) {
    attrs['occi.mcn.stack.reason'] = stack['hurtle.stack.reason'];
  }
  return attrs;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Delete the stack and return once the CC says it is gone (404). A stack
// whose id the SO never saved (it died while deploying) is found by name.
async function dispose() {
  const stackId = so.stackId ||
      (so.pending !== null ? await findStack('dispose') : null);
  if (!stackId) {
    return;
  }
  const res = await ccRequest('DELETE', stackId);
  if (res.status !== 404) {
    ccCheck('dispose', res);
  }
  const deadline = Date.now() + DISPOSE_TIMEOUT_MS;
  for (;;) {
    const got = await ccRequest('GET', stackId);
    if (got.status === 404) {
      break;
    }
    const stackState = stackAttributes(ccCheck('dispose', got))[
      'hurtle.stack.state'];
    if (stackState === 'DELETE_COMPLETE') {
      break;
    }
    if (stackState === 'DELETE_FAILED') {
      throw new HttpError(409, 'dispose: stack ' + stackId +
                          ' could not be deleted');
    }
    if (Date.now() > deadline) {
      throw new HttpError(409, 'dispose: stack ' + stackId +
                          ' still exists');
    }
    await sleep(500);
  }
  log('stack ' + stackId + ' deleted');
}

// --- HTTP -----------------------------------------------------------------
function authorised(req) {
  const given = Buffer.from(String(req.headers['x-auth-token'] || ''));
  const wanted = Buffer.from(SECRET);
  return given.length === wanted.length &&
      crypto.timingSafeEqual(given, wanted);
}

function send(req, res, status, attrs) {
  if (attrs === undefined) {
    res.writeHead(status, {'Content-Type': 'text/plain; charset=utf-8'});
    res.end(status >= 400 ? '' : 'OK\n');
    return;
  }
  if ((req.headers.accept || '').includes('json')) {
    const body = JSON.stringify({
      kind: SO_KIND, id: 'default', location: SO_PATH, attributes: attrs});
    res.writeHead(status, {'Content-Type': OCCI_JSON});
    res.end(body);
    return;
  }
  const rendered = Object.entries(attrs).map(
      ([key, value]) => key + '=' + renderValue(value)).join(', ');
  res.writeHead(status, {
    'Content-Type': 'text/occi',
    'Category': 'orchestrator; scheme="http://schemas.mobile-cloud-' +
        'networking.eu/occi/service#"; class="kind"',
    // UTF-8 bytes, sent as they are (Node writes header text as latin-1).
    'X-OCCI-Attribute': Buffer.from(rendered, 'utf8').toString('latin1')});
  res.end();
}

function fail(res, status, message, extra) {
  res.writeHead(status, Object.assign(
      {'Content-Type': 'text/plain; charset=utf-8'}, extra || {}));
  res.end(message + '\n');
}

// Finish a step left pending by a restart before serving `method`: a GET
// still answers when the step is refused (the state says what is true),
// DELETE finds the stack by name anyway.
async function resumeBefore(method) {
  if (so === null || so.pending === null || method === 'DELETE') {
    return;
  }
  try {
    await resume();
  } catch (err) {
    if (method !== 'GET' || (err instanceof HttpError && err.status === 503)) {
      throw err;
    }
    log('the resumed step failed: ' + err.message);
  }
}

async function handle(req, res, body) {
  const url = new URL(req.url, 'http://so');
  if (url.pathname !== SO_PATH) {
    throw new HttpError(404, 'an SO serves only ' + SO_PATH);
  }
  if (stateProblem !== null) {
    loadState();   // fixed or removed meanwhile?
  }
  if (stateProblem !== null) {
    throw new HttpError(409, 'the SO\'s saved state is unusable (' +
                        stateProblem + '); an operator must fix or remove ' +
                        'its state file (the SO log names it)');
  }
  const action = url.searchParams.get('action');
  if (req.method === 'PUT') {
    if (so !== null) {
      throw new HttpError(409, SO_PATH + ' exists already');
    }
    const attrs = userAttributes(parseRequest(req, body));
    parameters('deployment', attrs);   // refuse bad values at once
    save({attributes: attrs, stackId: null, phase: 'created',
          pending: null});
    log('created');
    res.setHeader('Location', SO_PATH);
    return send(req, res, 201);
  }
  if (so === null) {
    throw new HttpError(404, 'the SO has not been created');
  }
  await resumeBefore(req.method);
  if (req.method === 'GET') {
    return send(req, res, 200, await state());
  }
  if (req.method === 'POST') {
    const attrs = userAttributes(parseRequest(req, body));
    log('action ' + (action || 'update') + ' received');
    if (action === 'deploy') {
      await deploy(attrs);
    } else if (action === 'provision') {
      await updateStack('provision', attrs);
    } else if (action === null) {
      await updateStack('update', attrs);
    } else {
      throw new HttpError(400, 'unknown action ' + action);
    }
    return send(req, res, 200);
  }
  if (req.method === 'DELETE') {
    await dispose();
    save(null);
    log('disposed');
    return send(req, res, 200);
  }
  throw new HttpError(405, 'method ' + req.method + ' not allowed');
}

// One call at a time, like Hurtle's Python SO runtime.
let queue = Promise.resolve();

const server = http.createServer((req, res) => {
  if (!authorised(req)) {
    return fail(res, 401, 'X-Auth-Token does not match this SO\'s secret',
                {'WWW-Authenticate': 'Hurtle-SO'});
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    queue = queue.then(() => handle(req, res, body)).catch((err) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) {
        log('internal error: ' + (err && err.stack));
      }
      fail(res, status, status === 500 ? 'internal error' : err.message);
    });
  });
});

function main() {
  if (!SECRET) {
    process.stderr.write('so.js: HURTLE_SO_SECRET is not set\n');
    process.exit(2);
  }
  loadState();
  if (so !== null) {
    log('state restored (' + so.phase + (so.stackId ? ', stack ' +
        so.stackId : '') + ')');
    if (so.pending !== null) {
      // Resumed at once; if that fails (the CC unreachable), the next
      // request tries again.
      queue = queue.then(resume).catch((err) => log(
          'resuming failed: ' + err.message + '; tried again later'));
    }
  }
  const host = env.HURTLE_SO_HOST || '127.0.0.1';
  const port = Number(env.HURTLE_SO_PORT || '0');
  server.listen(port, host, () => {
    const bound = server.address().port;
    const portFile = env.HURTLE_SO_PORT_FILE;
    if (portFile) {
      // Atomically: the CC must never read half a number.
      writePrivate(portFile, String(bound));
    }
    const readyFd = env.HURTLE_SO_READY_FD;
    if (/^[0-9]+$/.test(readyFd || '')) {
      // One line, then closed: nothing of it reaches another process.
      try {
        fs.writeSync(Number(readyFd), bound + '\n');
      } catch (err) {
        log('readiness notice not sent: ' + err.message);
      }
      try { fs.closeSync(Number(readyFd)); } catch (err) { /* gone */ }
    }
    log('serving the SO API on ' + host + ':' + bound);
  });
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      log('stopping (' + signal + ')');
      server.close();
      process.exit(0);
    });
  }
}

main();

#!/usr/bin/env node
// Checks an Immutable proof bundle (or NDJSON export) with nothing but Node's standard library — the same check as
// `Immutable.Web integrity verify-offline`, written independently from docs/hash-chain.md:
//   node docs/verify-bundle.mjs <bundle.ndjson> <public-key.pem>
// Exit code 0 when every event hash, link, checkpoint and anchor holds; 1 otherwise.
import { createHash, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [file, keyFile] = process.argv.slice(2);
if (!file || !keyFile) { console.error('usage: node verify-bundle.mjs <bundle.ndjson> <public-key.pem>'); process.exit(2); }
const publicKey = readFileSync(keyFile, 'utf8');
const sha256 = (data) => createHash('sha256').update(data).digest();
const hex = (buf) => buf.toString('hex');

// A JSON reader that keeps each number's source text, so integers beyond 2^53 keep their digits (hash-chain.md).
class Num { constructor(text) { this.text = text; } }
function parse(text) {
  let i = 0;
  const ws = () => { while (' \t\n\r'.includes(text[i])) i++; };
  function value() {
    ws();
    const c = text[i];
    if (c === '{') { i++; const o = {}; ws(); if (text[i] === '}') { i++; return o; }
      for (;;) { ws(); const k = value(); ws(); i++; o[k] = value(); ws(); if (text[i++] === '}') return o; } }
    if (c === '[') { i++; const a = []; ws(); if (text[i] === ']') { i++; return a; }
      for (;;) { a.push(value()); ws(); if (text[i++] === ']') return a; } }
    if (c === '"') { const start = i; i++; while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1; i++; return JSON.parse(text.slice(start, i)); }
    const m = /^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    i += m[0].length;
    return m[1] === 'true' ? true : m[1] === 'false' ? false : m[1] === 'null' ? null : new Num(m[0]);
  }
  return value();
}

// RFC 8785 (JCS) with the one documented exception: integers beyond 2^53 are written as sent.
function canonical(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v instanceof Num) {
    const big = /^-?\d+$/.test(v.text) && BigInt(v.text.replace('-', '')) > 9007199254740992n;
    return big ? v.text : String(Number(v.text));
  }
  return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
}

const num = (x) => (x === null || x === undefined ? null : x instanceof Num ? x : new Num(String(x)));
function eventText(e, workspaceId) {
  const g = e.geo ?? {};
  return canonical({
    action: e.action, action_category: e.action_category ?? null, actor_id: e.actor_id, actor_name: e.actor_name ?? null,
    actor_type: e.actor_type ?? null, created_at: e.created_at,
    geo: { accuracy_radius_km: num(g.accuracy_radius_km), city: g.city ?? null, country: g.country ?? null,
      latitude: num(g.latitude), longitude: num(g.longitude), time_zone: g.time_zone ?? null },
    id: e.id, idempotency_key: e.idempotency_key ?? null, ip_address: e.ip_address ?? null, metadata: e.metadata ?? null,
    occurred_at: e.occurred_at, previous_event_hash: e.integrity.previous_event_hash ?? null, resource: e.resource?.type ?? null,
    resource_id: e.resource_id ?? null, resource_name: e.resource_name ?? null, sequence: num(e.integrity.sequence),
    session_id: e.session_id ?? null,
    targets: (e.targets ?? []).map((t) => ({ id: t.id ?? null, metadata: t.metadata ?? null, name: t.name ?? null, type: t.type })),
    tenant_id: e.tenant_id ?? null, user_agent: e.user_agent ?? null, v: new Num('1'), version: num(e.version), workspace_id: workspaceId,
    // Written only when true (an event flagged by a permissive event schema); every other event has the v1 bytes.
    ...(e.schema_violation === true ? { schema_violation: true } : {}),
  });
}

// RFC 6962 Merkle tree over the events' hashes: leaf = H(0x00 ‖ hash), node = H(0x01 ‖ left ‖ right), split at the largest power of two below n.
const leaf = (h) => sha256(Buffer.concat([Buffer.from([0]), Buffer.from(h, 'hex')]));
function root(leaves) {
  if (leaves.length === 1) return leaves[0];
  let k = 1; while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.concat([Buffer.from([1]), root(leaves.slice(0, k)), root(leaves.slice(k))]));
}

const statement = (s) => canonical(s.kind === 'checkpoint'
  ? { created_at: s.created_at, first_sequence: num(s.first_sequence), head_hash: s.head_hash, key_id: s.key_id, merkle_root: s.merkle_root,
      sequence: num(s.sequence), type: 'checkpoint', v: new Num('1'), workspace_id: s.workspace_id }
  : { created_at: s.created_at, events_count: num(s.events_count), first_event_hash: s.first_event_hash, first_sequence: num(s.first_sequence),
      id: s.id, key_id: s.key_id, last_event_hash: s.last_event_hash, last_sequence: num(s.last_sequence), merkle_root: s.merkle_root,
      period_end: s.period_end, period_start: s.period_start, previous_anchor_hash: s.previous_anchor_hash ?? null, type: 'anchor',
      v: new Num('1'), workspace_id: s.workspace_id });

const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map(parse);
const plain = (v) => JSON.parse(canonical(v)); // numbers back to JS numbers for fields that are ordinary
// A proof bundle states its range and must be complete; an export's header (filters, no range) may be filtered.
const header = lines.find((l) => l.kind === 'bundle' && l.first_sequence !== undefined);
const anyHeader = lines.find((l) => l.kind === 'bundle');
const statements = lines.filter((l) => l.kind === 'checkpoint' || l.kind === 'anchor').map(plain);
const workspaceId = anyHeader?.workspace_id ?? statements[0]?.workspace_id;
const problems = [];
const hashes = new Map();
let previous = null;
let first = null;
for (const e of lines.filter((l) => !l.kind && l.integrity)) {
  const seq = Number(e.integrity.sequence.text);
  first ??= seq;
  const recomputed = hex(sha256(eventText(e, workspaceId)));
  if (recomputed !== e.integrity.event_hash) problems.push(`hash_mismatch at sequence ${seq}`);
  if (previous) {
    if (seq <= previous.seq) problems.push(`chain_break: sequence ${seq} after ${previous.seq}`);
    else if (seq === previous.seq + 1) { if (e.integrity.previous_event_hash !== previous.hash) problems.push(`chain_break at sequence ${seq}`); }
    else if (header) problems.push(`chain_break: events ${previous.seq + 1}-${seq - 1} are missing`);
  }
  hashes.set(seq, e.integrity.event_hash);
  previous = { seq, hash: e.integrity.event_hash };
}
// A bundle (header line) is complete: its events span the header's range and its end line counts what it holds.
if (header) {
  const end = lines.find((l) => l.kind === 'end');
  if (!end || Number(end.events.text) !== hashes.size || Number(end.statements.text) !== statements.length) problems.push('truncated: the end line is missing or does not count the file');
  if (hashes.size && (first !== Number(header.first_sequence.text) || previous.seq !== Number(header.last_sequence.text))) problems.push('truncated: the events do not span the header\'s range');
}
let lastAnchor = null;
for (const s of statements.sort((a, b) => a.first_sequence - b.first_sequence)) {
  const last = s.kind === 'checkpoint' ? s.sequence : s.last_sequence;
  const text = statement(s);
  if (s.workspace_id !== workspaceId || !verify('sha256', Buffer.from(text), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s.signature, 'base64')))
    problems.push(`bad_signature on the ${s.kind} ending at ${last}`);
  const range = [];
  for (let q = s.first_sequence; q <= last && hashes.has(q); q++) range.push(hashes.get(q));
  if (range.length === last - s.first_sequence + 1) {
    const lastHash = s.kind === 'checkpoint' ? s.head_hash : s.last_event_hash;
    if (hex(root(range.map(leaf))) !== s.merkle_root || range.at(-1) !== lastHash) problems.push(`${s.kind}_mismatch ending at ${last}`);
  } else if (header) problems.push(`truncated: the ${s.kind} ending at ${last} covers events the bundle does not hold`);
  if (s.kind === 'anchor') {
    if (lastAnchor && lastAnchor.last_sequence + 1 === s.first_sequence && s.previous_anchor_hash !== hex(sha256(statement(lastAnchor))))
      problems.push(`anchor ${s.id} does not link to the one before it`);
    lastAnchor = s;
  }
}
console.log(problems.length === 0
  ? `valid: ${hashes.size} events, ${statements.length} signed statements`
  : `INVALID:\n  ${problems.join('\n  ')}`);
process.exit(problems.length === 0 ? 0 : 1);

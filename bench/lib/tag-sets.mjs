// The S7 benchmark's tag sets, each tag described once and written in both notations:
// TIA (ours: DB1.DBD4, %I0.3, MW10) and nodes7 (the peer: DB1,REAL4, I0.3, MW10).

const SIZE = { BOOL: 1, BYTE: 1, INT: 2, WORD: 2, DINT: 4, DWORD: 4, REAL: 4 };
const TIA_DB_SUFFIX = { 1: 'DBB', 2: 'DBW', 4: 'DBD' };
const AREA_SUFFIX = { 1: 'B', 2: 'W', 4: 'D' };
const NODES7_DB_TYPE = { BYTE: 'BYTE', INT: 'INT', WORD: 'WORD', DINT: 'DINT', DWORD: 'DWORD', REAL: 'REAL' };
const NODES7_AREA_TYPE = { BYTE: 'B', INT: 'I', WORD: 'W', DINT: 'DI', DWORD: 'D', REAL: 'R' };

function tag(area, db, offset, type, bit = 0) {
  return { area, db, offset, type, bit };
}

export function tiaAddress(t) {
  if (t.area === 'DB') {
    return t.type === 'BOOL' ? `DB${t.db}.DBX${t.offset}.${t.bit}` : `DB${t.db}.${TIA_DB_SUFFIX[SIZE[t.type]]}${t.offset}`;
  }
  return t.type === 'BOOL' ? `${t.area}${t.offset}.${t.bit}` : `${t.area}${AREA_SUFFIX[SIZE[t.type]]}${t.offset}`;
}

export function nodes7Address(t) {
  if (t.area === 'DB') {
    return t.type === 'BOOL' ? `DB${t.db},X${t.offset}.${t.bit}` : `DB${t.db},${NODES7_DB_TYPE[t.type]}${t.offset}`;
  }
  return t.type === 'BOOL' ? `${t.area}${t.offset}.${t.bit}` : `${t.area}${NODES7_AREA_TYPE[t.type]}${t.offset}`;
}

const MIXED = ['REAL', 'INT', 'DINT', 'BOOL', 'WORD'];

/** 100 REALs back to back in DB1: one block read ideally. */
function contiguous100() {
  return Array.from({ length: 100 }, (_, i) => tag('DB', 1, i * 4, 'REAL'));
}

/**
 * 100 tags scattered over DB1..DB10 (8 each, 64 bytes apart, beyond any sensible merge gap)
 * plus 20 in I, Q and M.
 */
function scattered100() {
  const tags = [];
  for (let db = 1; db <= 10; db++) {
    for (let i = 0; i < 8; i++) tags.push(tag('DB', db, i * 64, MIXED[(db + i) % MIXED.length], i % 8));
  }
  for (let i = 0; i < 7; i++) tags.push(tag('I', 0, i * 2, 'BOOL', i));
  for (let i = 0; i < 6; i++) tags.push(tag('Q', 0, i * 2, 'BOOL', i));
  for (let i = 0; i < 7; i++) tags.push(tag('M', 0, i * 16, i % 2 ? 'WORD' : 'REAL'));
  return tags;
}

/** 500 mixed tags: 5 DBs of 100 tags, 6 bytes apart (small gaps a planner may merge). */
function tags500() {
  const tags = [];
  for (let db = 1; db <= 5; db++) {
    for (let i = 0; i < 100; i++) tags.push(tag('DB', db, i * 6, MIXED[i % MIXED.length], i % 8));
  }
  return tags;
}

export const TAG_SETS = {
  'contiguous-100-real': contiguous100(),
  'scattered-100': scattered100(),
  'mixed-500': tags500(),
};

/** Bytes each DB and area must have so that every tag of every set exists. */
export function requiredAreaSizes() {
  const sizes = {};
  for (const tags of Object.values(TAG_SETS)) {
    for (const t of tags) {
      const key = t.area === 'DB' ? `DB${t.db}` : t.area;
      sizes[key] = Math.max(sizes[key] ?? 0, t.offset + SIZE[t.type]);
    }
  }
  return sizes;
}

// Minimal read-only FlatBuffers access over a DataView (little-endian, as the format specifies).

export class FbTable {
  /** @param {DataView} dv @param {number} pos absolute offset of the table */
  constructor(dv, pos) {
    this.dv = dv;
    this.pos = pos;
    const vt = pos - dv.getInt32(pos, true);
    this.vt = vt;
    this.vtLen = dv.getUint16(vt, true);
  }
  /** Absolute offset of field `slot`, or 0 when absent. */
  off(slot) {
    const o = 4 + slot * 2;
    if (o >= this.vtLen) return 0;
    const rel = this.dv.getUint16(this.vt + o, true);
    return rel ? this.pos + rel : 0;
  }
  has(slot) { return this.off(slot) !== 0; }
  u8(slot, def = 0) { const o = this.off(slot); return o ? this.dv.getUint8(o) : def; }
  i8(slot, def = 0) { const o = this.off(slot); return o ? this.dv.getInt8(o) : def; }
  bool(slot, def = false) { const o = this.off(slot); return o ? this.dv.getUint8(o) !== 0 : def; }
  i32(slot, def = 0) { const o = this.off(slot); return o ? this.dv.getInt32(o, true) : def; }
  u32(slot, def = 0) { const o = this.off(slot); return o ? this.dv.getUint32(o, true) : def; }
  f32(slot, def = 0) { const o = this.off(slot); return o ? this.dv.getFloat32(o, true) : def; }
  u64(slot, def = 0) { const o = this.off(slot); return o ? Number(this.dv.getBigUint64(o, true)) : def; }
  /** Follows an offset field to the referenced object's absolute position. */
  ref(slot) { const o = this.off(slot); return o ? o + this.dv.getUint32(o, true) : 0; }
  table(slot) { const p = this.ref(slot); return p ? new FbTable(this.dv, p) : null; }
  str(slot) {
    const p = this.ref(slot);
    if (!p) return null;
    const len = this.dv.getUint32(p, true);
    return new TextDecoder().decode(new Uint8Array(this.dv.buffer, this.dv.byteOffset + p + 4, len));
  }
  /** @returns {{start:number,len:number}|null} absolute start of vector elements */
  vec(slot) {
    const p = this.ref(slot);
    if (!p) return null;
    return { start: p + 4, len: this.dv.getUint32(p, true) };
  }
  tables(slot) {
    const v = this.vec(slot);
    if (!v) return [];
    const out = [];
    for (let i = 0; i < v.len; i++) {
      const e = v.start + i * 4;
      out.push(new FbTable(this.dv, e + this.dv.getUint32(e, true)));
    }
    return out;
  }
  i32s(slot) { const v = this.vec(slot); if (!v) return null; const a = []; for (let i = 0; i < v.len; i++) a.push(this.dv.getInt32(v.start + 4 * i, true)); return a; }
  f32s(slot) { const v = this.vec(slot); if (!v) return null; const a = []; for (let i = 0; i < v.len; i++) a.push(this.dv.getFloat32(v.start + 4 * i, true)); return a; }
  i64s(slot) { const v = this.vec(slot); if (!v) return null; const a = []; for (let i = 0; i < v.len; i++) a.push(Number(this.dv.getBigInt64(v.start + 8 * i, true))); return a; }
  bytes(slot) {
    const v = this.vec(slot);
    if (!v) return null;
    return new Uint8Array(this.dv.buffer, this.dv.byteOffset + v.start, v.len);
  }
}

/** Root table of a FlatBuffer. */
export function fbRoot(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new FbTable(dv, dv.getUint32(0, true));
}

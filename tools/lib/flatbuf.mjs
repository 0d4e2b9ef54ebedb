// Minimal read-only FlatBuffers access over a DataView (little-endian, as the format specifies).
// Every read is bounds-checked against the view, never against the view's underlying ArrayBuffer: a
// small Node Buffer is a slice of a shared 8 KiB pool, so reading past its end would read other data.
import { ModelFileError } from './untrusted.mjs';

/** Throws unless [pos, pos + n) lies inside the view. */
function need(dv, pos, n, what) {
  if (!Number.isInteger(pos) || pos < 0 || n < 0 || pos + n > dv.byteLength) {
    throw new ModelFileError(`Malformed flatbuffer: ${what} (offset ${pos}, ${n} bytes) is outside the ${dv.byteLength}-byte buffer`);
  }
}

export class FbTable {
  /** @param {DataView} dv @param {number} pos absolute offset of the table */
  constructor(dv, pos) {
    this.dv = dv;
    this.pos = pos;
    need(dv, pos, 4, 'table');
    const vt = pos - dv.getInt32(pos, true);
    need(dv, vt, 4, `vtable of the table at ${pos}`);
    this.vt = vt;
    this.vtLen = dv.getUint16(vt, true);
    this.objLen = dv.getUint16(vt + 2, true);
    if (this.vtLen < 4 || this.vtLen % 2) throw new ModelFileError(`Malformed flatbuffer: vtable at ${vt} has length ${this.vtLen}`);
    need(dv, vt, this.vtLen, `vtable of the table at ${pos}`);
    need(dv, pos, this.objLen, `table body at ${pos}`);
  }
  /** Absolute offset of field `slot`, or 0 when absent. */
  off(slot) {
    const o = 4 + slot * 2;
    if (o >= this.vtLen) return 0;
    const rel = this.dv.getUint16(this.vt + o, true);
    if (!rel) return 0;
    if (rel >= this.objLen) throw new ModelFileError(`Malformed flatbuffer: field ${slot} of the table at ${this.pos} lies outside its ${this.objLen}-byte body`);
    return this.pos + rel;
  }
  /** Absolute offset of a field of `n` bytes, checked, or 0 when absent. */
  at(slot, n) {
    const o = this.off(slot);
    if (o) need(this.dv, o, n, `field ${slot} of the table at ${this.pos}`);
    return o;
  }
  has(slot) { return this.off(slot) !== 0; }
  u8(slot, def = 0) { const o = this.at(slot, 1); return o ? this.dv.getUint8(o) : def; }
  i8(slot, def = 0) { const o = this.at(slot, 1); return o ? this.dv.getInt8(o) : def; }
  bool(slot, def = false) { const o = this.at(slot, 1); return o ? this.dv.getUint8(o) !== 0 : def; }
  i32(slot, def = 0) { const o = this.at(slot, 4); return o ? this.dv.getInt32(o, true) : def; }
  u32(slot, def = 0) { const o = this.at(slot, 4); return o ? this.dv.getUint32(o, true) : def; }
  f32(slot, def = 0) { const o = this.at(slot, 4); return o ? this.dv.getFloat32(o, true) : def; }
  u64(slot, def = 0) { const o = this.at(slot, 8); return o ? Number(this.dv.getBigUint64(o, true)) : def; }
  /** Follows an offset field to the referenced object's absolute position. */
  ref(slot) {
    const o = this.at(slot, 4);
    if (!o) return 0;
    const p = o + this.dv.getUint32(o, true);
    need(this.dv, p, 4, `object referenced by field ${slot} of the table at ${this.pos}`);
    return p;
  }
  table(slot) { const p = this.ref(slot); return p ? new FbTable(this.dv, p) : null; }
  str(slot) {
    const v = this.vec(slot, 1, 'string');
    if (!v) return null;
    return new TextDecoder().decode(new Uint8Array(this.dv.buffer, this.dv.byteOffset + v.start, v.len));
  }
  /**
   * @param {number} [elemBytes] size of one element, so the whole vector is checked up front
   * @returns {{start:number,len:number}|null} absolute start of vector elements
   */
  vec(slot, elemBytes = 1, kind = 'vector') {
    const p = this.ref(slot);
    if (!p) return null;
    const len = this.dv.getUint32(p, true);
    need(this.dv, p + 4, len * elemBytes, `${kind} of ${len} × ${elemBytes} bytes in field ${slot} of the table at ${this.pos}`);
    return { start: p + 4, len };
  }
  tables(slot) {
    const v = this.vec(slot, 4, 'table vector');
    if (!v) return [];
    const out = [];
    for (let i = 0; i < v.len; i++) {
      const e = v.start + i * 4;
      out.push(new FbTable(this.dv, e + this.dv.getUint32(e, true)));
    }
    return out;
  }
  i32s(slot) { const v = this.vec(slot, 4); if (!v) return null; const a = []; for (let i = 0; i < v.len; i++) a.push(this.dv.getInt32(v.start + 4 * i, true)); return a; }
  f32s(slot) { const v = this.vec(slot, 4); if (!v) return null; const a = []; for (let i = 0; i < v.len; i++) a.push(this.dv.getFloat32(v.start + 4 * i, true)); return a; }
  i64s(slot) { const v = this.vec(slot, 8); if (!v) return null; const a = []; for (let i = 0; i < v.len; i++) a.push(Number(this.dv.getBigInt64(v.start + 8 * i, true))); return a; }
  bytes(slot) {
    const v = this.vec(slot, 1);
    if (!v) return null;
    return new Uint8Array(this.dv.buffer, this.dv.byteOffset + v.start, v.len);
  }
}

/** Root table of a FlatBuffer. */
export function fbRoot(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  need(dv, 0, 8, 'root offset and file identifier');
  return new FbTable(dv, dv.getUint32(0, true));
}

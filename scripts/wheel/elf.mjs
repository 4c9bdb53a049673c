// Reads what a wheel's platform tag must promise about an ELF executable: its CPU, its program
// interpreter (glibc's ld-linux or musl's ld-musl), the shared libraries it needs, and the symbol
// versions it needs from each (GLIBC_2.28, GLIBCXX_3.4.21...), which set the oldest glibc it runs
// on. Read from the file itself (the .dynamic and .gnu.version_r sections), so that building a
// wheel needs no binutils and works on a binary for another CPU.

const ELF_MAGIC = 0x7f454c46;
const PT_INTERP = 3;
const SHT_DYNAMIC = 6;
const SHT_GNU_VERNEED = 0x6ffffffe;
const DT_NEEDED = 1;

// e_machine values (elf.h) and the names wheel platform tags use for them.
const MACHINES = new Map([
  [0x03, 'i686'],
  [0x3e, 'x86_64'],
  [0xb7, 'aarch64'],
  [0x28, 'armv7l'],
  [0x15, 'ppc64'],
  [0x16, 's390x'],
  [0xf3, 'riscv64'],
]);

/** Whether `buffer` starts like an ELF file. */
export function isElf(buffer) {
  return buffer.length >= 64 && buffer.readUInt32BE(0) === ELF_MAGIC;
}

/**
 * The parts of a 64-bit ELF executable a platform tag depends on:
 * { machine, interpreter, needed: string[], versionNeeds: Map<library, string[]> }.
 * Throws an Error naming what is wrong for a file that is not one.
 */
export function readElfInfo(buffer) {
  if (!isElf(buffer)) throw new Error('not an ELF file');
  if (buffer[4] !== 2) throw new Error('a 32-bit ELF file (Node 20 ships 64-bit builds only)');
  const little = buffer[5] === 1;
  const u16 = (offset) => (little ? buffer.readUInt16LE(offset) : buffer.readUInt16BE(offset));
  const u32 = (offset) => (little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset));
  const u64 = (offset) => Number(little ? buffer.readBigUInt64LE(offset) : buffer.readBigUInt64BE(offset));
  const cString = (offset) => buffer.toString('latin1', offset, buffer.indexOf(0, offset));

  const machineCode = u16(18);
  // Power's tag says its byte order: ppc64le is the little-endian one.
  const named = MACHINES.get(machineCode) ?? `e_machine 0x${machineCode.toString(16)}`;
  const machine = named === 'ppc64' && little ? 'ppc64le' : named;
  const programHeaders = { offset: u64(32), size: u16(54), count: u16(56) };
  const sectionHeaders = { offset: u64(40), size: u16(58), count: u16(60) };

  let interpreter = null;
  for (let index = 0; index < programHeaders.count; index += 1) {
    const header = programHeaders.offset + index * programHeaders.size;
    if (u32(header) === PT_INTERP) interpreter = cString(u64(header + 8));
  }

  const sections = [];
  for (let index = 0; index < sectionHeaders.count; index += 1) {
    const header = sectionHeaders.offset + index * sectionHeaders.size;
    sections.push({ type: u32(header + 4), offset: u64(header + 24), size: u64(header + 32), link: u32(header + 40) });
  }

  const needed = [];
  for (const dynamic of sections.filter((section) => section.type === SHT_DYNAMIC)) {
    const strings = sections[dynamic.link].offset;
    for (let entry = dynamic.offset; entry < dynamic.offset + dynamic.size; entry += 16) {
      if (u64(entry) === DT_NEEDED) needed.push(cString(strings + u64(entry + 8)));
    }
  }

  // Elf64_Verneed { vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32 } and its
  // Elf64_Vernaux entries { vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32 }.
  const versionNeeds = new Map();
  for (const verneed of sections.filter((section) => section.type === SHT_GNU_VERNEED)) {
    const strings = sections[verneed.link].offset;
    let need = verneed.offset;
    for (;;) {
      const versions = [];
      let aux = need + u32(need + 8);
      for (let count = u16(need + 2); count > 0; count -= 1) {
        versions.push(cString(strings + u32(aux + 8)));
        aux += u32(aux + 12);
      }
      versionNeeds.set(cString(strings + u32(need + 4)), versions);
      const next = u32(need + 12);
      if (next === 0) break;
      need += next;
    }
  }
  return { machine, interpreter, needed, versionNeeds };
}

/**
 * The i686 instruction table: one line per opcode (or group member), read once at start-up. It feeds the
 * decoder (which operands, hence the length), the interpreter (which operation) and the tests (which
 * opcodes exist and which of them a user-mode host harness can run).
 *
 * Line format: `OPCODE[/REG] MNEMONIC OPERANDS OP [FLAGS]`
 * - OPCODE: two hex digits, `0f` + two for the two-byte map; `/REG` selects a ModRM.reg group member,
 *   `/REG:m` or `/REG:r` only its memory or register forms, `/r=NN` one exact ModRM byte.
 * - OPERANDS: Intel-manual notation, comma separated, or `-`: E/G/M/R (ModRM r/m, reg, memory-only,
 *   register-only), I (immediate), J (relative), O (moffs), A (far pointer), S/C/D (segment, control,
 *   debug register in ModRM.reg), Z (register in the opcode's low bits), fixed AL/CL/DX/eAX/1 and
 *   ES..GS; sizes b, w, d, v (16/32), z (16/32 immediate), p (far pointer), q, s (pseudo-descriptor),
 *   a (BOUND pair), bs (byte immediate sign-extended to the operand size).
 * - OP: the interpreter's operation (see Op).
 * - FLAGS: L lockable, U runs in user mode on a host harness, P needs CPL 0 in protected mode,
 *   N not in real mode, 8 an 8-bit operation (for string and I/O forms).
 */

export enum Op {
  Alu, Test, Inc, Dec, Not, Neg, Mul, Imul1, Div, Idiv, Imul2, Imul3, Shift, Shld, Shrd, Bt, Bsf, Bsr,
  Mov, Movzx, Movsx, Lea, Xchg, Xadd, Cmpxchg, Cmpxchg8b, Bswap,
  Push, Pop, PushSeg, PopSeg, Pusha, Popa, Pushf, Popf, Lahf, Sahf, Cbw, Cwd,
  Jcc, Setcc, Cmovcc, Jmp, JmpE, Call, CallE, Ret, RetImm, JmpFar, JmpFarM, CallFar, CallFarM, RetFar, RetFarImm, Iret,
  Loop, Loope, Loopne, Jcxz,
  Movs, Cmps, Stos, Lods, Scas, Ins, Outs, In, Out,
  Int, Int3, Into, Int1, Hlt, Clc, Stc, Cmc, Cld, Std, Cli, Sti,
  Enter, Leave, Bound, Arpl, Daa, Das, Aaa, Aas, Aam, Aad, Salc, Xlat,
  LoadFarPointer, MovToSeg, MovFromSeg, MovToCr, MovFromCr, MovToDr, MovFromDr,
  Sldt, Str, Lldt, Ltr, Verr, Verw, Sgdt, Sidt, Lgdt, Lidt, Smsw, Lmsw, Invlpg, Lar, Lsl,
  Clts, Invd, Wbinvd, Rdtsc, Rdmsr, Wrmsr, Rdpmc, Cpuid, Sysenter, Sysexit,
  Ud, Nop, Wait, Fpu, Vmcall,
}

export enum Kind {
  None, Rm, Reg, Imm, ImmSx, Rel, Moffs, FarImm, Sreg, Creg, Dreg, OpReg, Fixed, Const1,
}

/** An operand as the decoder and interpreter see it. `size` in bytes; 0 means the operand size (2 or 4). */
export interface OperandSpec {
  kind: Kind;
  size: number;
  /** Fixed register number (AL/eAX = 0, CL = 1, DX = 2) or segment number for Fixed. */
  fixed: number;
  memoryOnly: boolean;
  registerOnly: boolean;
  segment: boolean;
}

export interface OpEntry {
  opcode: number;
  /** ModRM.reg value for a group member, -1 otherwise. */
  group: number;
  /** 'm' memory forms only, 'r' register forms only, '' both. */
  form: '' | 'm' | 'r';
  /** An exact ModRM byte (0F 01 C1 VMCALL), -1 otherwise. */
  exactModrm: number;
  mnemonic: string;
  operands: OperandSpec[];
  op: Op;
  /** ALU operation (ADD..CMP), shift operation (ROL..SAR), condition code or BT variant, by op. */
  sub: number;
  modrm: boolean;
  lockable: boolean;
  user: boolean;
  privileged: boolean;
  noReal: boolean;
  byteOp: boolean;
  text: string;
  /** The interpreter's handler, filled in by the interpreter when it loads (keeps this table free of it). */
  handler: (...args: never[]) => number;
}

const TABLE = `
00 ADD Eb,Gb Alu L U
01 ADD Ev,Gv Alu L U
02 ADD Gb,Eb Alu U
03 ADD Gv,Ev Alu U
04 ADD AL,Ib Alu U
05 ADD eAX,Iz Alu U
06 PUSH ES PushSeg U
07 POP ES PopSeg
08 OR Eb,Gb Alu L U
09 OR Ev,Gv Alu L U
0a OR Gb,Eb Alu U
0b OR Gv,Ev Alu U
0c OR AL,Ib Alu U
0d OR eAX,Iz Alu U
0e PUSH CS PushSeg U
10 ADC Eb,Gb Alu L U
11 ADC Ev,Gv Alu L U
12 ADC Gb,Eb Alu U
13 ADC Gv,Ev Alu U
14 ADC AL,Ib Alu U
15 ADC eAX,Iz Alu U
16 PUSH SS PushSeg U
17 POP SS PopSeg
18 SBB Eb,Gb Alu L U
19 SBB Ev,Gv Alu L U
1a SBB Gb,Eb Alu U
1b SBB Gv,Ev Alu U
1c SBB AL,Ib Alu U
1d SBB eAX,Iz Alu U
1e PUSH DS PushSeg U
1f POP DS PopSeg
20 AND Eb,Gb Alu L U
21 AND Ev,Gv Alu L U
22 AND Gb,Eb Alu U
23 AND Gv,Ev Alu U
24 AND AL,Ib Alu U
25 AND eAX,Iz Alu U
27 DAA - Daa U
28 SUB Eb,Gb Alu L U
29 SUB Ev,Gv Alu L U
2a SUB Gb,Eb Alu U
2b SUB Gv,Ev Alu U
2c SUB AL,Ib Alu U
2d SUB eAX,Iz Alu U
2f DAS - Das U
30 XOR Eb,Gb Alu L U
31 XOR Ev,Gv Alu L U
32 XOR Gb,Eb Alu U
33 XOR Gv,Ev Alu U
34 XOR AL,Ib Alu U
35 XOR eAX,Iz Alu U
37 AAA - Aaa U
38 CMP Eb,Gb Alu U
39 CMP Ev,Gv Alu U
3a CMP Gb,Eb Alu U
3b CMP Gv,Ev Alu U
3c CMP AL,Ib Alu U
3d CMP eAX,Iz Alu U
3f AAS - Aas U
40 INC Zv Inc U
48 DEC Zv Dec U
50 PUSH Zv Push U
58 POP Zv Pop U
60 PUSHA - Pusha U
61 POPA - Popa U
62 BOUND Gv,Ma Bound U
63 ARPL Ew,Gw Arpl N
68 PUSH Iz Push U
69 IMUL Gv,Ev,Iz Imul3 U
6a PUSH Ibs Push U
6b IMUL Gv,Ev,Ibs Imul3 U
6c INSB - Ins 8
6d INS - Ins
6e OUTSB - Outs 8
6f OUTS - Outs
70 Jcc Jb Jcc U
80/0 ADD Eb,Ib Alu L U
80/1 OR Eb,Ib Alu L U
80/2 ADC Eb,Ib Alu L U
80/3 SBB Eb,Ib Alu L U
80/4 AND Eb,Ib Alu L U
80/5 SUB Eb,Ib Alu L U
80/6 XOR Eb,Ib Alu L U
80/7 CMP Eb,Ib Alu U
81/0 ADD Ev,Iz Alu L U
81/1 OR Ev,Iz Alu L U
81/2 ADC Ev,Iz Alu L U
81/3 SBB Ev,Iz Alu L U
81/4 AND Ev,Iz Alu L U
81/5 SUB Ev,Iz Alu L U
81/6 XOR Ev,Iz Alu L U
81/7 CMP Ev,Iz Alu U
82/0 ADD Eb,Ib Alu L U
82/1 OR Eb,Ib Alu L U
82/2 ADC Eb,Ib Alu L U
82/3 SBB Eb,Ib Alu L U
82/4 AND Eb,Ib Alu L U
82/5 SUB Eb,Ib Alu L U
82/6 XOR Eb,Ib Alu L U
82/7 CMP Eb,Ib Alu U
83/0 ADD Ev,Ibs Alu L U
83/1 OR Ev,Ibs Alu L U
83/2 ADC Ev,Ibs Alu L U
83/3 SBB Ev,Ibs Alu L U
83/4 AND Ev,Ibs Alu L U
83/5 SUB Ev,Ibs Alu L U
83/6 XOR Ev,Ibs Alu L U
83/7 CMP Ev,Ibs Alu U
84 TEST Eb,Gb Test U
85 TEST Ev,Gv Test U
86 XCHG Eb,Gb Xchg L U
87 XCHG Ev,Gv Xchg L U
88 MOV Eb,Gb Mov U
89 MOV Ev,Gv Mov U
8a MOV Gb,Eb Mov U
8b MOV Gv,Ev Mov U
8c MOV Ev,Sw MovFromSeg U
8d LEA Gv,M Lea U
8e MOV Sw,Ew MovToSeg
8f/0 POP Ev Pop U
90 NOP - Nop U
91 XCHG Zv,eAX Xchg U
98 CBW - Cbw U
99 CWD - Cwd U
9a CALLF Ap CallFar
9b WAIT - Wait
9c PUSHF - Pushf U
9d POPF - Popf U
9e SAHF - Sahf U
9f LAHF - Lahf U
a0 MOV AL,Ob Mov U
a1 MOV eAX,Ov Mov U
a2 MOV Ob,AL Mov U
a3 MOV Ov,eAX Mov U
a4 MOVSB - Movs 8 U
a5 MOVS - Movs U
a6 CMPSB - Cmps 8 U
a7 CMPS - Cmps U
a8 TEST AL,Ib Test U
a9 TEST eAX,Iz Test U
aa STOSB - Stos 8 U
ab STOS - Stos U
ac LODSB - Lods 8 U
ad LODS - Lods U
ae SCASB - Scas 8 U
af SCAS - Scas U
b0 MOV Zb,Ib Mov U
b8 MOV Zv,Iv Mov U
c0/0 ROL Eb,Ib Shift U
c0/1 ROR Eb,Ib Shift U
c0/2 RCL Eb,Ib Shift U
c0/3 RCR Eb,Ib Shift U
c0/4 SHL Eb,Ib Shift U
c0/5 SHR Eb,Ib Shift U
c0/6 SAL Eb,Ib Shift U
c0/7 SAR Eb,Ib Shift U
c1/0 ROL Ev,Ib Shift U
c1/1 ROR Ev,Ib Shift U
c1/2 RCL Ev,Ib Shift U
c1/3 RCR Ev,Ib Shift U
c1/4 SHL Ev,Ib Shift U
c1/5 SHR Ev,Ib Shift U
c1/6 SAL Ev,Ib Shift U
c1/7 SAR Ev,Ib Shift U
c2 RET Iw RetImm U
c3 RET - Ret U
c4 LES Gv,Mp LoadFarPointer
c5 LDS Gv,Mp LoadFarPointer
c6/0 MOV Eb,Ib Mov U
c7/0 MOV Ev,Iz Mov U
c8 ENTER Iw,Ib Enter U
c9 LEAVE - Leave U
ca RETF Iw RetFarImm
cb RETF - RetFar
cc INT3 - Int3
cd INT Ib Int
ce INTO - Into
cf IRET - Iret
d0/0 ROL Eb,1 Shift U
d0/1 ROR Eb,1 Shift U
d0/2 RCL Eb,1 Shift U
d0/3 RCR Eb,1 Shift U
d0/4 SHL Eb,1 Shift U
d0/5 SHR Eb,1 Shift U
d0/6 SAL Eb,1 Shift U
d0/7 SAR Eb,1 Shift U
d1/0 ROL Ev,1 Shift U
d1/1 ROR Ev,1 Shift U
d1/2 RCL Ev,1 Shift U
d1/3 RCR Ev,1 Shift U
d1/4 SHL Ev,1 Shift U
d1/5 SHR Ev,1 Shift U
d1/6 SAL Ev,1 Shift U
d1/7 SAR Ev,1 Shift U
d2/0 ROL Eb,CL Shift U
d2/1 ROR Eb,CL Shift U
d2/2 RCL Eb,CL Shift U
d2/3 RCR Eb,CL Shift U
d2/4 SHL Eb,CL Shift U
d2/5 SHR Eb,CL Shift U
d2/6 SAL Eb,CL Shift U
d2/7 SAR Eb,CL Shift U
d3/0 ROL Ev,CL Shift U
d3/1 ROR Ev,CL Shift U
d3/2 RCL Ev,CL Shift U
d3/3 RCR Ev,CL Shift U
d3/4 SHL Ev,CL Shift U
d3/5 SHR Ev,CL Shift U
d3/6 SAL Ev,CL Shift U
d3/7 SAR Ev,CL Shift U
d4 AAM Ib Aam U
d5 AAD Ib Aad U
d6 SALC - Salc U
d7 XLAT - Xlat U
d8 FPU - Fpu
d9 FPU - Fpu
da FPU - Fpu
db FPU - Fpu
dc FPU - Fpu
dd FPU - Fpu
de FPU - Fpu
df FPU - Fpu
e0 LOOPNE Jb Loopne U
e1 LOOPE Jb Loope U
e2 LOOP Jb Loop U
e3 JCXZ Jb Jcxz U
e4 IN AL,Ib In 8
e5 IN eAX,Ib In
e6 OUT Ib,AL Out 8
e7 OUT Ib,eAX Out
e8 CALL Jz Call U
e9 JMP Jz Jmp U
ea JMPF Ap JmpFar
eb JMP Jb Jmp U
ec IN AL,DX In 8
ed IN eAX,DX In
ee OUT DX,AL Out 8
ef OUT DX,eAX Out
f1 INT1 - Int1
f4 HLT - Hlt P
f5 CMC - Cmc U
f6/0 TEST Eb,Ib Test U
f6/1 TEST Eb,Ib Test U
f6/2 NOT Eb Not L U
f6/3 NEG Eb Neg L U
f6/4 MUL Eb Mul U
f6/5 IMUL Eb Imul1 U
f6/6 DIV Eb Div U
f6/7 IDIV Eb Idiv U
f7/0 TEST Ev,Iz Test U
f7/1 TEST Ev,Iz Test U
f7/2 NOT Ev Not L U
f7/3 NEG Ev Neg L U
f7/4 MUL Ev Mul U
f7/5 IMUL Ev Imul1 U
f7/6 DIV Ev Div U
f7/7 IDIV Ev Idiv U
f8 CLC - Clc U
f9 STC - Stc U
fa CLI - Cli
fb STI - Sti
fc CLD - Cld U
fd STD - Std U
fe/0 INC Eb Inc L U
fe/1 DEC Eb Dec L U
ff/0 INC Ev Inc L U
ff/1 DEC Ev Dec L U
ff/2 CALL Ev CallE U
ff/3 CALLF Mp CallFarM
ff/4 JMP Ev JmpE U
ff/5 JMPF Mp JmpFarM
ff/6 PUSH Ev Push U
0f00/0 SLDT Ew Sldt N
0f00/1 STR Ew Str N
0f00/2 LLDT Ew Lldt N P
0f00/3 LTR Ew Ltr N P
0f00/4 VERR Ew Verr N
0f00/5 VERW Ew Verw N
0f01/0:m SGDT Ms Sgdt
0f01/1:m SIDT Ms Sidt
0f01/2:m LGDT Ms Lgdt P
0f01/3:m LIDT Ms Lidt P
0f01/4 SMSW Ew Smsw
0f01/6 LMSW Ew Lmsw P
0f01/7:m INVLPG M Invlpg P
0f01/r=c1 VMCALL - Vmcall
0f02 LAR Gv,Ew Lar N
0f03 LSL Gv,Ew Lsl N
0f06 CLTS - Clts P
0f08 INVD - Invd P
0f09 WBINVD - Wbinvd P
0f0b UD2 - Ud
0f18 NOP Ev Nop U
0f19 NOP Ev Nop U
0f1a NOP Ev Nop U
0f1b NOP Ev Nop U
0f1c NOP Ev Nop U
0f1d NOP Ev Nop U
0f1e NOP Ev Nop U
0f1f NOP Ev Nop U
0f20 MOV Rd,Cd MovFromCr P
0f21 MOV Rd,Dd MovFromDr P
0f22 MOV Cd,Rd MovToCr P
0f23 MOV Dd,Rd MovToDr P
0f30 WRMSR - Wrmsr P
0f31 RDTSC - Rdtsc
0f32 RDMSR - Rdmsr P
0f33 RDPMC - Rdpmc
0f34 SYSENTER - Sysenter
0f35 SYSEXIT - Sysexit P
0f40 CMOVcc Gv,Ev Cmovcc U
0f80 Jcc Jz Jcc U
0f90 SETcc Eb Setcc U
0fa0 PUSH FS PushSeg U
0fa1 POP FS PopSeg
0fa2 CPUID - Cpuid U
0fa3 BT Ev,Gv Bt U
0fa4 SHLD Ev,Gv,Ib Shld U
0fa5 SHLD Ev,Gv,CL Shld U
0fa8 PUSH GS PushSeg U
0fa9 POP GS PopSeg
0fab BTS Ev,Gv Bt L U
0fac SHRD Ev,Gv,Ib Shrd U
0fad SHRD Ev,Gv,CL Shrd U
0faf IMUL Gv,Ev Imul2 U
0fb0 CMPXCHG Eb,Gb Cmpxchg L U
0fb1 CMPXCHG Ev,Gv Cmpxchg L U
0fb2 LSS Gv,Mp LoadFarPointer
0fb3 BTR Ev,Gv Bt L U
0fb4 LFS Gv,Mp LoadFarPointer
0fb5 LGS Gv,Mp LoadFarPointer
0fb6 MOVZX Gv,Eb Movzx U
0fb7 MOVZX Gv,Ew Movzx U
0fba/4 BT Ev,Ib Bt U
0fba/5 BTS Ev,Ib Bt L U
0fba/6 BTR Ev,Ib Bt L U
0fba/7 BTC Ev,Ib Bt L U
0fbb BTC Ev,Gv Bt L U
0fbc BSF Gv,Ev Bsf U
0fbd BSR Gv,Ev Bsr U
0fbe MOVSX Gv,Eb Movsx U
0fbf MOVSX Gv,Ew Movsx U
0fc0 XADD Eb,Gb Xadd L U
0fc1 XADD Ev,Gv Xadd L U
0fc7/1:m CMPXCHG8B Mq Cmpxchg8b L U
0fc8 BSWAP Zd Bswap U
`;

const ALU_NAMES = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'];
const SHIFT_NAMES = ['ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SHR', 'SAL', 'SAR'];
const BT_NAMES = ['BT', 'BTS', 'BTR', 'BTC'];
const SEGMENTS = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'];
export const CONDITIONS = ['O', 'NO', 'B', 'AE', 'E', 'NE', 'BE', 'A', 'S', 'NS', 'P', 'NP', 'L', 'GE', 'LE', 'G'];

function operand(text: string): OperandSpec {
  const spec: OperandSpec = { kind: Kind.None, size: 0, fixed: -1, memoryOnly: false, registerOnly: false, segment: false };
  const sizeOf = (s: string): number => ({ b: 1, w: 2, d: 4, v: 0, z: 0, p: 0, q: 8, s: 6, a: 0, bs: 1, '': 0 })[s] ?? NaN;
  const seg = SEGMENTS.indexOf(text);
  if (seg >= 0) return { ...spec, kind: Kind.Fixed, fixed: seg, segment: true, size: 2 };
  if (text === 'AL') return { ...spec, kind: Kind.Fixed, fixed: 0, size: 1 };
  if (text === 'CL') return { ...spec, kind: Kind.Fixed, fixed: 1, size: 1 };
  if (text === 'DX') return { ...spec, kind: Kind.Fixed, fixed: 2, size: 2 };
  if (text === 'eAX') return { ...spec, kind: Kind.Fixed, fixed: 0, size: 0 };
  if (text === '1') return { ...spec, kind: Kind.Const1, size: 1 };
  if (text === 'M') return { ...spec, kind: Kind.Rm, memoryOnly: true };
  const letter = text[0]!;
  const size = sizeOf(text.slice(1));
  if (Number.isNaN(size)) throw new Error(`opcode table: unknown operand size in ${text}`);
  switch (letter) {
    case 'E': return { ...spec, kind: Kind.Rm, size };
    case 'M': return { ...spec, kind: Kind.Rm, size, memoryOnly: true };
    case 'R': return { ...spec, kind: Kind.Rm, size, registerOnly: true };
    case 'G': return { ...spec, kind: Kind.Reg, size };
    case 'I': return { ...spec, kind: text === 'Ibs' ? Kind.ImmSx : Kind.Imm, size: text === 'Iz' || text === 'Iv' ? 0 : size };
    case 'J': return { ...spec, kind: Kind.Rel, size };
    case 'O': return { ...spec, kind: Kind.Moffs, size };
    case 'A': return { ...spec, kind: Kind.FarImm, size: 0 };
    case 'S': return { ...spec, kind: Kind.Sreg, size: 2 };
    case 'C': return { ...spec, kind: Kind.Creg, size: 4 };
    case 'D': return { ...spec, kind: Kind.Dreg, size: 4 };
    case 'Z': return { ...spec, kind: Kind.OpReg, size };
    default: throw new Error(`opcode table: unknown operand ${text}`);
  }
}

function parse(line: string): OpEntry[] {
  const [code, mnemonic, ops, opName, ...flagList] = line.trim().split(/\s+/);
  const m = /^(0f)?([0-9a-f]{2})(?:\/(?:([0-7])(?::([mr]))?|r=([0-9a-f]{2})))?$/.exec(code!);
  if (!m || !mnemonic || !ops || !opName) throw new Error(`opcode table: bad line "${line}"`);
  const opcode = (m[1] ? 0x100 : 0) | parseInt(m[2]!, 16);
  const op = Op[opName as keyof typeof Op] as Op | undefined;
  if (op === undefined) throw new Error(`opcode table: unknown operation ${opName}`);
  const flags = new Set(flagList);
  const operands = ops === '-' ? [] : ops.split(',').map(operand);
  const group = m[3] !== undefined ? Number(m[3]) : -1;
  const exactModrm = m[5] !== undefined ? parseInt(m[5], 16) : -1;
  const base: OpEntry = {
    opcode, group, form: (m[4] as 'm' | 'r' | undefined) ?? (exactModrm >= 0 ? 'r' : ''), exactModrm, mnemonic, operands, op, sub: 0,
    modrm: group >= 0 || exactModrm >= 0 || operands.some((o) => o.kind === Kind.Rm || o.kind === Kind.Reg || o.kind === Kind.Sreg || o.kind === Kind.Creg || o.kind === Kind.Dreg) || op === Op.Fpu,
    lockable: flags.has('L'), user: flags.has('U'), privileged: flags.has('P'), noReal: flags.has('N'),
    // The destination decides: OUT DX,AL and OUT Ib,AL say so with the 8 flag.
    byteOp: flags.has('8') || (operands[0] !== undefined && operands[0].size === 1 && (operands[0].kind === Kind.Rm || operands[0].kind === Kind.Reg || operands[0].kind === Kind.OpReg || operands[0].kind === Kind.Fixed || operands[0].kind === Kind.Moffs)),
    text: line.trim(),
    handler: () => {
      throw new Error(`opcode table: ${line.trim()} has no handler`);
    },
  };
  if (op === Op.Alu) base.sub = ALU_NAMES.indexOf(mnemonic);
  if (op === Op.Shift) base.sub = SHIFT_NAMES.indexOf(mnemonic);
  if (op === Op.Bt) base.sub = BT_NAMES.indexOf(mnemonic);
  if (op === Op.LoadFarPointer) base.sub = SEGMENTS.indexOf(mnemonic.slice(1));
  if (op === Op.PushSeg || op === Op.PopSeg) base.sub = operands[0]!.fixed;
  // Opcodes that stand for 8 (register in the low bits) or 16 (condition in the low bits) table slots.
  const span = operands.some((o) => o.kind === Kind.OpReg) || (op === Op.Xchg && opcode === 0x91) ? (opcode === 0x91 ? 7 : 8)
    : op === Op.Jcc || op === Op.Setcc || op === Op.Cmovcc ? 16 : 1;
  const out: OpEntry[] = [];
  for (let i = 0; i < span; i++) {
    const cond = op === Op.Jcc || op === Op.Setcc || op === Op.Cmovcc;
    out.push({
      ...base,
      opcode: opcode + i,
      sub: cond ? i : base.sub,
      mnemonic: cond ? mnemonic.replace('cc', CONDITIONS[i]!) : mnemonic,
    });
  }
  return out;
}

/** All entries, in table order. */
export const ENTRIES: readonly OpEntry[] = TABLE.trim().split('\n').filter((l) => l.trim() !== '').flatMap(parse);

/**
 * Lookup by opcode (0x000-0x1ff): either one entry, or 8 group members by ModRM.reg, each split by
 * memory/register form, plus exact-ModRM entries. `undefined` slots decode as #UD.
 */
export interface OpcodeSlot {
  plain?: OpEntry;
  /** [reg * 2 + (mod === 3 ? 1 : 0)] */
  members?: (OpEntry | undefined)[];
  exact?: Map<number, OpEntry>;
  modrm: boolean;
}

export const SLOTS: readonly (OpcodeSlot | undefined)[] = (() => {
  const slots: (OpcodeSlot | undefined)[] = new Array(0x200).fill(undefined);
  for (const e of ENTRIES) {
    const slot = (slots[e.opcode] ??= { modrm: e.modrm });
    if (e.exactModrm >= 0) {
      (slot.exact ??= new Map()).set(e.exactModrm, e);
    } else if (e.group >= 0) {
      slot.members ??= new Array(16).fill(undefined);
      if (e.form !== 'r') slot.members[e.group * 2] = e;
      if (e.form !== 'm') slot.members[e.group * 2 + 1] = e;
    } else {
      if (slot.plain) throw new Error(`opcode table: opcode ${e.opcode.toString(16)} defined twice`);
      slot.plain = e;
    }
    slot.modrm ||= e.modrm;
  }
  return slots;
})();

/** Prefix bytes: they are not opcodes. */
export const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

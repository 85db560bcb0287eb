/** Reference vectors of spec §11 (V1-V3), shared by the STM tests. */
import { hexToBytes } from '../../../protocol/encoding/bytes.ts';

/** V1: keys from ChaCha20Rng::from_seed([0; 32]). */
export const SK1 = 0x408157791befddd702672dcfcfc99da3512f9c0ea818890fcb6ab749580ef2cfn;
export const SK2 = 0x59ba5cc216c306e6297b87559bbcedcc28605455876ffce2fd4b78742811d357n;
export const VK1 = hexToBytes(
  '8fa1ff304e39ccdc19dda4fcf80e387eba87e4bc91b534c86163d52e00c7c159bb581d87adf45624533643a406895e48' +
    '066980805d30b00b04f68a30b4855a8ec018c16f8e1f4c6f6eea995ad0c01f7c5f66319e6334dca55efb44457910e0c2',
);
export const VK2 = hexToBytes(
  '9138af207abbd6e2fb94580901679f9250a66bf3fbec291c6f80cfa48493e453f6e4aa44594e3c1c7b8258ea26612a41' +
    '016435124e83083d7a83ee54e9df9a7676491c1b654e50e97bcedcae86cd476e70b4616200714591e7a82badac3868d0',
);

/** V2: root of {(vk1, 1), (vk2, 1)}. */
export const V2_ROOT = hexToBytes('38255f6b9d62fcc2beccaa1ae00ad407d65974c4d97a6f3871fd602daa79eb9f');

/** V3: m = 10, k = 5, φ_f = 0.8, msg = 16 zero bytes. */
export const V3_PARAMS = { m: 10, k: 5, phiF: 0.8 };
export const V3_MSG = new Uint8Array(16);
export const V3_SIGMA1 = hexToBytes(
  '959dc9bb8c360080d15810cb3d4e4d62a1853a981d4ad97140640aa1baa78572d399da38df5469f22936e0aad0b97e53',
);
export const V3_SIGMA2 = hexToBytes(
  '95a916c9d861a3bc73d2d9ece9a1c90d2a840c3f051f78164eb17d86d0cd493af78d3b3ebb51d51e99da292a6e9ca1cd',
);
export const V3_INDEXES1 = [1, 4, 5, 8];
export const V3_INDEXES2 = [0, 3, 4, 5, 6];

import { SignJWT } from "jose";
import { z } from "zod";
import { MandateError } from "../errors.js";
import type { SigningKey } from "./signing-key.js";
import { type KeySet, verifyJwt } from "./verify-jwt.js";

/** `typ` of a signed audit checkpoint. */
export const CHECKPOINT_TOKEN_TYPE = "mandate-checkpoint+jwt";

/** What a checkpoint vouches for: the stream's event at `seq` has hash `hash`. */
export interface CheckpointClaims {
  readonly stream: string;
  readonly seq: number;
  readonly hash: string;
  /** True when the stream ended here (written when the Mandate closed). */
  readonly final: boolean;
}

const Claims = z.object({
  stream: z.string().min(1),
  seq: z.number().int().nonnegative(),
  hash: z.string(),
  final: z.boolean(),
});

/** Signs a checkpoint as a compact JWT. */
export function signCheckpoint(
  claims: CheckpointClaims,
  key: SigningKey,
  issuer: string,
  now: number,
): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CHECKPOINT_TOKEN_TYPE })
    .setIssuer(issuer)
    .setIssuedAt(Math.floor(now / 1000))
    .sign(key.privateKey);
}

/** Verifies a checkpoint signature and returns what it vouches for. Checkpoints do not expire. */
export async function verifyCheckpoint(jwt: unknown, keys: KeySet, now: number): Promise<CheckpointClaims> {
  const payload = await verifyJwt(jwt, keys, {
    typ: CHECKPOINT_TOKEN_TYPE,
    now,
    requireExp: false,
    clockToleranceSec: 300,
  });
  const parsed = Claims.safeParse(payload);
  if (!parsed.success) throw new MandateError("ERR_TOKEN_CLAIMS", "malformed checkpoint claims");
  return parsed.data;
}

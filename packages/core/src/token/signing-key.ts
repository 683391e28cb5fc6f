import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from "jose";
import { newId } from "../ids.js";

/** The algorithms Mandate signs and accepts. `none`, HMAC and RSA are never accepted. */
export type SigningAlgorithm = "EdDSA" | "ES256";

/** The algorithms a verifier accepts, in one place. */
export const ACCEPTED_ALGORITHMS: readonly SigningAlgorithm[] = ["EdDSA", "ES256"];

/** A key a Mandate signs tokens and checkpoints with. */
export interface SigningKey {
  /** Key id, written in every token's header and in the JWKS. */
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: CryptoKey;
  /** The public half as a JWK (with `kid`, `alg` and `use: "sig"`), for the JWKS a verifier loads. */
  readonly publicJwk: JWK;
}

/** A JSON Web Key Set: what a verifier trusts. */
export interface JsonWebKeySet {
  readonly keys: readonly JWK[];
}

/**
 * Generates a signing key: Ed25519 (`EdDSA`, the default) or P-256 (`ES256`). The private key is
 * not extractable.
 */
export async function generateSigningKey(alg: SigningAlgorithm = "EdDSA", kid?: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: false });
  const publicJwk: JWK = {
    ...(await exportJWK(publicKey)),
    kid: kid ?? `mandate-${newId()}`,
    alg,
    use: "sig",
  };
  return { kid: publicJwk.kid as string, alg, privateKey, publicJwk };
}

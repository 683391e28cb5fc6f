export { type TrustedArgumentsOptions, trustedArguments } from "./trusted-arguments.js";
export { type UntrustedEgressOptions, untrustedEgress } from "./untrusted-egress.js";

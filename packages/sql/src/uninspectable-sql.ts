/**
 * Thrown inside an analyzer when a statement cannot be understood well enough to say what it
 * touches; the inspector turns it into an uninspectable access, which the guard denies.
 * @internal
 */
export class UninspectableSql extends Error {
  override readonly name = "UninspectableSql";
}

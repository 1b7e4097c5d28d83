/** A provider could not translate the prompt; the API turns it into a refusal, never into a task. */
export class TranslationError extends Error {
  constructor(
    message: string,
    /** The provider's HTTP status when it answered, else null (timeout, refused connection). */
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = "TranslationError";
  }
}

/** Error text may echo what was sent; secrets are cut out before it goes anywhere. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) clean = clean.split(secret).join("***");
  }
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}

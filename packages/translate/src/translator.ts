/** Turns natural-language text (a prompt without its parameters and URLs) into English. */
export interface Translator {
  translate(text: string): Promise<string>;
}

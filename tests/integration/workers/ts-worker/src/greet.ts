export interface Greeting {
  text: string;
  lang: 'ts';
}

export function greet(word: string, loud: boolean): Greeting {
  const text = `${word} from typescript`;
  return { text: loud ? text.toUpperCase() : text, lang: 'ts' };
}

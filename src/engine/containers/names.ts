import { randomBytes, randomInt } from 'node:crypto';
import { invalidArgument } from '../../errors/engine-error.js';

const validName = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Validates a user-given name and strips the leading slash. */
export function normaliseContainerName(name: string): string {
  if (!validName.test(name)) throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.startsWith('/') ? name.slice(1) : name;
}

export function newContainerId(): string {
  // Docker avoids ids that look like numbers in scientific notation; all-digit prefixes are fine here.
  let id = randomBytes(32).toString('hex');
  while (/^\d+e\d+$/.test(id.slice(0, 12))) id = randomBytes(32).toString('hex');
  return id;
}

const adjectives = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'blissful', 'bold', 'boring',
  'brave', 'busy', 'charming', 'clever', 'compassionate', 'competent', 'confident', 'cool', 'cranky', 'crazy',
  'dazzling', 'determined', 'distracted', 'dreamy', 'eager', 'ecstatic', 'elastic', 'elated', 'elegant', 'eloquent',
  'epic', 'exciting', 'fervent', 'festive', 'flamboyant', 'focused', 'friendly', 'frosty', 'funny', 'gallant',
  'gifted', 'goofy', 'gracious', 'great', 'happy', 'hardcore', 'heuristic', 'hopeful', 'hungry', 'infallible',
  'inspiring', 'intelligent', 'interesting', 'jolly', 'jovial', 'keen', 'kind', 'laughing', 'loving', 'lucid',
  'magical', 'modest', 'musing', 'mystifying', 'naughty', 'nervous', 'nice', 'nifty', 'nostalgic', 'objective',
  'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical', 'priceless', 'quirky', 'quizzical', 'recursing',
  'relaxed', 'reverent', 'romantic', 'sad', 'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange', 'stupefied',
  'suspicious', 'sweet', 'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant', 'vigilant', 'vigorous',
  'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen',
];
const surnames = [
  'agnesi', 'albattani', 'allen', 'almeida', 'archimedes', 'ardinghelli', 'babbage', 'banach', 'bardeen', 'bartik',
  'bassi', 'bell', 'benz', 'bhabha', 'blackwell', 'bohr', 'booth', 'borg', 'bose', 'brahmagupta', 'brattain', 'brown',
  'carson', 'cerf', 'chandrasekhar', 'clarke', 'colden', 'cori', 'cray', 'curie', 'darwin', 'davinci', 'dijkstra',
  'dubinsky', 'easley', 'edison', 'einstein', 'elion', 'engelbart', 'euclid', 'euler', 'faraday', 'fermat', 'fermi',
  'feynman', 'franklin', 'gagarin', 'galileo', 'gates', 'gauss', 'germain', 'goldberg', 'goldstine', 'goodall',
  'hamilton', 'hawking', 'heisenberg', 'hermann', 'hopper', 'hypatia', 'jackson', 'jennings', 'johnson', 'joliot',
  'kalam', 'kapitsa', 'keller', 'kepler', 'khorana', 'kilby', 'knuth', 'kowalevski', 'lalande', 'lamarr', 'lamport',
  'leakey', 'lederberg', 'lehmann', 'lewin', 'liskov', 'lovelace', 'lumiere', 'mahavira', 'mayer', 'mccarthy',
  'mcclintock', 'meitner', 'mendel', 'merkle', 'minsky', 'mirzakhani', 'moore', 'morse', 'napier', 'nash', 'newton',
  'nobel', 'noether', 'payne', 'perlman', 'pike', 'poincare', 'ptolemy', 'raman', 'ritchie', 'rosalind', 'sammet',
  'shannon', 'shaw', 'shockley', 'sinoussi', 'snyder', 'spence', 'stonebraker', 'swanson', 'tesla', 'thompson',
  'torvalds', 'turing', 'varahamihira', 'villani', 'wescoff', 'wiles', 'williams', 'wilson', 'wing', 'wozniak',
  'wright', 'yalow', 'yonath',
];

/** Docker-style `adjective_surname`, with a digit suffix on retries. */
export function randomContainerName(attempt: number): string {
  const name = `${adjectives[randomInt(adjectives.length)]}_${surnames[randomInt(surnames.length)]}`;
  return attempt > 0 ? `${name}${randomInt(10)}` : name;
}

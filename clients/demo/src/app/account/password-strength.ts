/**
 * Password strength while typing, estimated by zxcvbn-ts (loaded on first use, in its own
 * chunk, so the demo's first page does not carry its dictionaries). The server decides what
 * is accepted (NIST SP 800-63B: length, the common-password list, context words); this is
 * only advice.
 */
export interface Strength {
  /** 0 (guessable in seconds) to 4 (very hard to guess). */
  readonly score: 0 | 1 | 2 | 3 | 4;
  readonly label: string;
}

const LABELS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const;

type Estimator = (password: string, userInputs: string[]) => Strength['score'];
let estimator: Promise<Estimator> | null = null;

function loadEstimator(): Promise<Estimator> {
  estimator ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]).then(
    ([core, common]) => {
      const zxcvbn = new core.ZxcvbnFactory({
        dictionary: { ...common.dictionary },
        graphs: common.adjacencyGraphs,
      });
      return (password, userInputs) => zxcvbn.check(password, userInputs).score;
    },
  );
  return estimator;
}

/** The strength of `password`, knowing the words that make it guessable for this user. */
export async function estimateStrength(password: string, userInputs: string[]): Promise<Strength> {
  const score = (await loadEstimator())(password, userInputs);
  return { score, label: LABELS[score] };
}

/** The words a password should not be built on: the address's parts and the name. */
export function contextWords(email: string, name = ''): string[] {
  const [local = '', domain = ''] = email.toLowerCase().split('@');
  return [local, ...domain.split('.'), ...name.toLowerCase().split(/\s+/), 'jotauth'].filter(
    (word) => word.length >= 3,
  );
}

/**
 * The keyboard-release hint shown in the console toolbar, from the shell's `KEYBOARD_RELEASE_LABEL`
 * in the contract (the shell owns keyboard capture and its release combination).
 */
import { KEYBOARD_RELEASE_LABEL } from '../../../shared/contract';

/** Text telling the user how to take the keyboard back from a console, for an `app:info` platform. */
export function releaseKeyboardHint(platform: string | undefined): string {
  const keys = platform === 'darwin' ? KEYBOARD_RELEASE_LABEL.darwin : KEYBOARD_RELEASE_LABEL.default;
  return `Release keyboard: ${keys}`;
}

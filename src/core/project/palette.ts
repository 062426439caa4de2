import { CATEGORY_PALETTE } from './types.ts';

/** The default colour of a category, by id (CSS hex). */
export function categoryColor(id: number): string {
  return CATEGORY_PALETTE[(((id - 1) % CATEGORY_PALETTE.length) + CATEGORY_PALETTE.length) % CATEGORY_PALETTE.length]!;
}

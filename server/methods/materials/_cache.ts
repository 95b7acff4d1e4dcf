import type { MaterialsCache } from "../../materials/cache.ts";
import type { MethodContext } from "../context.ts";

/** The materials cache of this daemon's database and settings. */
export function cacheOf(ctx: MethodContext): MaterialsCache {
  return {
    db: ctx.db,
    clock: ctx.clock,
    log: ctx.log,
    days: ctx.config.materials.cacheDays,
    busyBudgetMs: ctx.config.database.busyBudgetMs,
  };
}

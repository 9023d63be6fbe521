/*
 * An experiment, not part of the service: the catalogue look-up's read-and-append of bucket fields
 * (catalogue-scripts.ts, RESERVE) as one native Redis module command, to measure what the Lua script's
 * own work costs (scripts/measure-catalogue-lookup.ts compiles and loads it).
 *
 *   LSH.LOOK <table key prefix> <keys per table> <packed 3-byte fields, 4 tables> <slot> <max bytes> <append: 1|0>
 *
 * For each of the 4 tables `<prefix><t>`: reads every field, appends the slot (3 bytes, little-endian)
 * to it (when `append`), and returns the fields' values before the append back to back and their lengths
 * (little-endian uint16), as the Lua look-up does: the field NO_BUCKET_FIELD (0xffffff) is read as empty
 * and never written, a full bucket ("F") is left alone, a bucket past `max bytes` becomes "F". Called
 * from the look-up script in place of its bucket loop, it was measured through bench:catalogue
 * (BENCHMARKS.md, sixteenth session). (A key sent twice in one table is read the second time with its
 * first append, where the Lua script reads both before writing; the index never sends one twice.)
 * The module API is declared here (Redis ships redismodule.h with its sources, not in the Debian package):
 * the functions are looked up by name through the pointer Redis puts first in the load context.
 */
#include <stdint.h>
#include <string.h>

typedef struct RedisModuleCtx RedisModuleCtx;
typedef struct RedisModuleString RedisModuleString;
typedef struct RedisModuleKey RedisModuleKey;
typedef int (*RedisModuleCmdFunc)(RedisModuleCtx *, RedisModuleString **, int);

#define REDISMODULE_OK 0
#define REDISMODULE_ERR 1
#define REDISMODULE_READ 1
#define REDISMODULE_WRITE 2
#define REDISMODULE_HASH_NONE 0
#define TABLES 4
/* A bucket holds at most maxBucketSize (512) 3-byte slots before it is marked full. */
#define MAX_VALUE 2048

static int (*RedisModule_GetApi)(const char *, void *);
static int (*RedisModule_SetModuleAttribs)(RedisModuleCtx *, const char *, int, int);
static int (*RedisModule_CreateCommand)(RedisModuleCtx *, const char *, RedisModuleCmdFunc, const char *, int, int, int);
static const char *(*RedisModule_StringPtrLen)(const RedisModuleString *, size_t *);
static RedisModuleString *(*RedisModule_CreateString)(RedisModuleCtx *, const char *, size_t);
static void (*RedisModule_FreeString)(RedisModuleCtx *, RedisModuleString *);
static void *(*RedisModule_OpenKey)(RedisModuleCtx *, RedisModuleString *, int);
static void (*RedisModule_CloseKey)(RedisModuleKey *);
static int (*RedisModule_HashGet)(RedisModuleKey *, int, ...);
static int (*RedisModule_HashSet)(RedisModuleKey *, int, ...);
static int (*RedisModule_ReplyWithArray)(RedisModuleCtx *, long);
static int (*RedisModule_ReplyWithStringBuffer)(RedisModuleCtx *, const char *, size_t);
static int (*RedisModule_ReplyWithError)(RedisModuleCtx *, const char *);
static int (*RedisModule_StringToLongLong)(const RedisModuleString *, long long *);
static void *(*RedisModule_Alloc)(size_t);
static void (*RedisModule_Free)(void *);

static int look(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
  size_t prefixLength, blobLength;
  long long per, slot;
  long long maxBytes, append;
  if (argc != 7 || RedisModule_StringToLongLong(argv[2], &per) != REDISMODULE_OK || RedisModule_StringToLongLong(argv[4], &slot) != REDISMODULE_OK
      || RedisModule_StringToLongLong(argv[5], &maxBytes) != REDISMODULE_OK || RedisModule_StringToLongLong(argv[6], &append) != REDISMODULE_OK) {
    return RedisModule_ReplyWithError(ctx, "ERR LSH.LOOK prefix per fields slot");
  }
  const char *prefix = RedisModule_StringPtrLen(argv[1], &prefixLength);
  const char *blob = RedisModule_StringPtrLen(argv[3], &blobLength);
  if (per <= 0 || blobLength != (size_t)(TABLES * per * 3) || prefixLength > 200) return RedisModule_ReplyWithError(ctx, "ERR LSH.LOOK bad fields");
  size_t capacity = 1 << 16, used = 0;
  char *contents = RedisModule_Alloc(capacity);
  uint16_t *lengths = RedisModule_Alloc(TABLES * per * sizeof(uint16_t));
  const char entry[3] = { (char)(slot & 255), (char)((slot >> 8) & 255), (char)((slot >> 16) & 255) };
  char name[256];
  char appended[MAX_VALUE + 3];
  for (int t = 0; t < TABLES; t++) {
    memcpy(name, prefix, prefixLength);
    name[prefixLength] = (char)('0' + t);
    RedisModuleString *keyName = RedisModule_CreateString(ctx, name, prefixLength + 1);
    RedisModuleKey *key = RedisModule_OpenKey(ctx, keyName, REDISMODULE_READ | REDISMODULE_WRITE);
    for (long long k = 0; k < per; k++) {
      const unsigned char *f = (const unsigned char *)blob + (t * per + k) * 3;
      if (f[0] == 255 && f[1] == 255 && f[2] == 255) { lengths[t * per + k] = 0; continue; }
      RedisModuleString *field = RedisModule_CreateString(ctx, blob + (t * per + k) * 3, 3);
      RedisModuleString *value = NULL;
      RedisModule_HashGet(key, REDISMODULE_HASH_NONE, field, &value, NULL);
      size_t length = 0;
      const char *bytes = value ? RedisModule_StringPtrLen(value, &length) : "";
      if (length > MAX_VALUE) length = MAX_VALUE;
      while (used + length > capacity) {
        char *bigger = RedisModule_Alloc(capacity * 2);
        memcpy(bigger, contents, used);
        RedisModule_Free(contents);
        contents = bigger;
        capacity *= 2;
      }
      memcpy(contents + used, bytes, length);
      used += length;
      lengths[t * per + k] = (uint16_t)length;
      if (append && !(length == 1 && bytes[0] == 'F')) {
        memcpy(appended, bytes, length);
        memcpy(appended + length, entry, 3);
        size_t nextLength = length + 3;
        if ((long long)nextLength > maxBytes) { appended[0] = 'F'; nextLength = 1; }
        RedisModuleString *next = RedisModule_CreateString(ctx, appended, nextLength);
        RedisModule_HashSet(key, REDISMODULE_HASH_NONE, field, next, NULL);
        RedisModule_FreeString(ctx, next);
      }
      if (value) RedisModule_FreeString(ctx, value);
      RedisModule_FreeString(ctx, field);
    }
    RedisModule_CloseKey(key);
    RedisModule_FreeString(ctx, keyName);
  }
  RedisModule_ReplyWithArray(ctx, 2);
  RedisModule_ReplyWithStringBuffer(ctx, contents, used);
  RedisModule_ReplyWithStringBuffer(ctx, (const char *)lengths, TABLES * per * sizeof(uint16_t));
  RedisModule_Free(contents);
  RedisModule_Free(lengths);
  return REDISMODULE_OK;
}

#define API(name) RedisModule_GetApi("RedisModule_" #name, &RedisModule_##name)

int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
  (void)argv;
  (void)argc;
  RedisModule_GetApi = (int (*)(const char *, void *))((void **)ctx)[0];
  API(SetModuleAttribs);
  API(CreateCommand);
  API(StringPtrLen);
  API(CreateString);
  API(FreeString);
  API(OpenKey);
  API(CloseKey);
  API(HashGet);
  API(HashSet);
  API(ReplyWithArray);
  API(ReplyWithStringBuffer);
  API(ReplyWithError);
  API(StringToLongLong);
  API(Alloc);
  API(Free);
  RedisModule_SetModuleAttribs(ctx, "lshlook", 1, 1);
  return RedisModule_CreateCommand(ctx, "lsh.look", look, "write deny-oom", 0, 0, 0) == REDISMODULE_OK ? REDISMODULE_OK : REDISMODULE_ERR;
}

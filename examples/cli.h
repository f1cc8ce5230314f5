/* cli.h: the edges every saferl example shares — strict arguments, files that are never half
   written, checked stdout, text inputs with a byte-order mark.

   Include it first (before any system header: it asks for POSIX 2008 and realpath, for mkstemp, fsync,
   fchmod).
   Every function is static; there is no global state.

   ARGUMENTS. A usage error prints "PROGRAM: what is wrong" and the usage line, and the example
   exits 2; a data error prints "file:line: reason" and exits 1.
      cli c;
      cli_init(&c, argc, argv, "[--seeds N] [--slip P] [--png FILE]");
      for (i = 1; i < argc; ++i) {
          const char *flag = argv[i], *v;
          int bad = 0;
          if (cli_is(&c, &i, "--seeds", &v)) bad = !v || cli_count32(&c, flag, v, 1, 1000, &seeds);
          else if (cli_is(&c, &i, "--legend", NULL)) legend = 1;
          ...
          else return cli_usage_error(&c, "unknown option %s", flag);
          if (bad || c.failed) return 2;
      }
   Counts take digits only: no sign, no fraction, no exponent, no blank, nothing after, nothing
   above the flag's maximum (so -1 never wraps to 4294967295 and 5e9 never becomes 5). Reals
   take one whole number that strtod reads, finite unless the caller allows infinity, inside
   the flag's range; NaN never. A flag given twice is a usage error (cli_is says so).

   FILES. cli_write_file(path, data, size) and the cli_output pair (cli_output_open, fprintf
   into output.file, cli_output_commit) write into a temporary file in the target's folder;
   only when every write, the flush, fsync and close succeeded is it renamed over the target.
   On any failure the old file is untouched, the temporary removed, and the message names the
   path and the OS reason. Appending copies the old file into the temporary first, so existing
   records are never rewritten in place.

   STDOUT. cli_finish(status) flushes stdout and checks it: a failed write (a full disk, a
   closed pipe, /dev/full) turns exit status 0 into 1 with a message. main ends with
   `return cli_finish(status);`. */
#ifndef SAFERL_EXAMPLES_CLI_H
#define SAFERL_EXAMPLES_CLI_H

#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* POSIX 2008 with realpath */
#endif
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every function is static; unused ones draw no warning. */
#if defined(__GNUC__) || defined(__clang__)
#define CLI_DEF static __attribute__((unused))
#else
#define CLI_DEF static
#endif

#define CLI_MAX_FLAGS 64

typedef struct cli {
    const char *program;               /* argv[0] */
    const char *usage;                 /* what follows the program name on the usage line */
    int argc;
    char **argv;
    const char *seen[CLI_MAX_FLAGS];   /* flags given so far: a second one is a usage error */
    int seen_count;
    int failed;                        /* cli_is printed a usage error (repeated flag, no value) */
} cli;

CLI_DEF void cli_init(cli *c, int argc, char **argv, const char *usage) {
    memset(c, 0, sizeof *c);
    c->program = argc > 0 ? argv[0] : "example";
    c->usage = usage;
    c->argc = argc;
    c->argv = argv;
}

CLI_DEF void cli_print_usage(const cli *c, FILE *to) { fprintf(to, "usage: %s %s\n", c->program, c->usage); }

/* Prints "PROGRAM: message" and the usage line on stderr; returns 2, the usage-error status. */
CLI_DEF int cli_usage_error(const cli *c, const char *format, ...) {
    va_list ap;
    fprintf(stderr, "%s: ", c->program);
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fputc('\n', stderr);
    cli_print_usage(c, stderr);
    return 2;
}

/* Records that a flag was given; 2 (with the message) when it was given before. */
CLI_DEF int cli_once(cli *c, const char *flag) {
    int i;
    for (i = 0; i < c->seen_count; ++i)
        if (strcmp(c->seen[i], flag) == 0) return cli_usage_error(c, "%s given twice", flag);
    if (c->seen_count < CLI_MAX_FLAGS) c->seen[c->seen_count++] = flag;
    return 0;
}

CLI_DEF int cli_given(const cli *c, const char *flag) {
    int i;
    for (i = 0; i < c->seen_count; ++i)
        if (strcmp(c->seen[i], flag) == 0) return 1;
    return 0;
}

/* argv[*i] is `flag`? Then it is recorded, *i steps over its value (value != NULL: the flag
   takes one) and 1 is returned. A repeated flag or a missing value prints the usage error,
   sets c->failed and *value = NULL: the caller returns 2 when c->failed is set. */
CLI_DEF int cli_is(cli *c, int *i, const char *flag, const char **value) {
    if (strcmp(c->argv[*i], flag) != 0) return 0;
    if (value) *value = NULL;
    if (cli_once(c, flag)) {
        c->failed = 1;
        return 1;
    }
    if (!value) return 1;
    if (*i + 1 >= c->argc) {
        cli_usage_error(c, "%s needs a value", flag);
        c->failed = 1;
        return 1;
    }
    *value = c->argv[++*i];
    return 1;
}

/* A count: decimal digits only, in [min, max]. 0 or the usage-error status 2. */
CLI_DEF int cli_count(const cli *c, const char *flag, const char *text, uint64_t min, uint64_t max, uint64_t *out) {
    uint64_t v = 0;
    const char *p = text;
    if (!*p) return cli_usage_error(c, "%s: empty value", flag);
    for (; *p; ++p) {
        unsigned d;
        if (*p < '0' || *p > '9')
            return cli_usage_error(c, "%s: '%s' is not a whole number from %llu to %llu", flag, text,
                                   (unsigned long long)min, (unsigned long long)max);
        d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            v = UINT64_MAX;
            break;
        }
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return cli_usage_error(c, "%s: %s is outside %llu..%llu", flag, text, (unsigned long long)min,
                               (unsigned long long)max);
    *out = v;
    return 0;
}

CLI_DEF int cli_count32(const cli *c, const char *flag, const char *text, uint32_t min, uint32_t max, uint32_t *out) {
    uint64_t v = 0;
    if (cli_count(c, flag, text, min, max, &v)) return 2;
    *out = (uint32_t)v;
    return 0;
}

CLI_DEF int cli_count_int(const cli *c, const char *flag, const char *text, int min, int max, int *out) {
    uint64_t v = 0;
    if (min < 0 || cli_count(c, flag, text, (uint64_t)min, (uint64_t)max, &v)) return 2;
    *out = (int)v;
    return 0;
}

/* A real number in [min, max]: the whole text read by strtod, never NaN, infinite only when
   allow_infinity (and then min/max still apply). */
CLI_DEF int cli_real(const cli *c, const char *flag, const char *text, double min, double max, int allow_infinity,
                    double *out) {
    char *end;
    double v;
    errno = 0;
    v = strtod(text, &end);
    if (end == text || *end || text[0] == ' ' || text[0] == '\t' || text[0] == '\n')
        return cli_usage_error(c, "%s: '%s' is not a number", flag, text);
    if (v != v) return cli_usage_error(c, "%s: NaN is not allowed", flag);
    if (!allow_infinity && (v == HUGE_VAL || v == -HUGE_VAL))
        return cli_usage_error(c, "%s: '%s' is not a finite number", flag, text);
    if (!(v >= min && v <= max)) return cli_usage_error(c, "%s: %s is outside [%g, %g]", flag, text, min, max);
    *out = v;
    return 0;
}

/* ---- text input ---------------------------------------------------------------------------- */

/* A UTF-8 byte-order mark at the start of a text is not part of its first field. */
CLI_DEF size_t cli_bom_length(const char *text, size_t size) {
    return size >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
                   (unsigned char)text[2] == 0xBF ? 3 : 0;
}

/* ---- output ---------------------------------------------------------------------------------- */

typedef struct cli_output {
    FILE *file;        /* write here between open and commit */
    char *path;        /* the target */
    char *temp;        /* the temporary beside it */
} cli_output;

CLI_DEF void cli_output_discard(cli_output *o) {
    if (o->file) fclose(o->file);
    if (o->temp) remove(o->temp);
    free(o->path);
    free(o->temp);
    memset(o, 0, sizeof *o);
}

/* Opens a temporary file beside `path` (append: holding a copy of the old file, if any). A
   symbolic link is followed: the file it names is replaced. A target that exists and is not a
   regular file (a device such as /dev/stdout or /dev/null, a pipe) cannot be replaced: it is
   written in place, every write still checked. 0, or 1 after printing "path: reason". */
CLI_DEF int cli_output_open(cli_output *o, const char *path, int append) {
    struct stat st;
    size_t n;
    int fd, have_old = stat(path, &st) == 0, in_place = have_old && !S_ISREG(st.st_mode);
    memset(o, 0, sizeof *o);
    o->path = have_old && !in_place ? realpath(path, NULL) : NULL;
    if (!o->path && (o->path = (char *)malloc(strlen(path) + 1)) != NULL) memcpy(o->path, path, strlen(path) + 1);
    n = o->path ? strlen(o->path) : 0;
    o->temp = o->path && !in_place ? (char *)malloc(n + 16) : NULL;
    if (!o->path || (!in_place && !o->temp)) {
        fprintf(stderr, "%s: out of memory\n", path);
        cli_output_discard(o);
        return 1;
    }
    if (in_place) {
        o->file = fopen(path, append ? "ab" : "wb");
        if (!o->file) {
            fprintf(stderr, "%s: %s\n", path, strerror(errno));
            cli_output_discard(o);
            return 1;
        }
        return 0;
    }
    memcpy(o->temp, o->path, n);
    memcpy(o->temp + n, ".tmp-XXXXXX", 12);
    fd = mkstemp(o->temp);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot create a temporary file beside it: %s\n", path, strerror(errno));
        free(o->temp);
        o->temp = NULL;
        cli_output_discard(o);
        return 1;
    }
    if (have_old) {
        fchmod(fd, st.st_mode & 07777);
    } else {
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
    }
    o->file = fdopen(fd, "wb");
    if (!o->file) {
        fprintf(stderr, "%s: %s\n", o->temp, strerror(errno));
        close(fd);
        cli_output_discard(o);
        return 1;
    }
    if (append && have_old) {
        FILE *old = fopen(path, "rb");
        char buffer[65536];
        size_t got;
        if (!old) {
            fprintf(stderr, "%s: %s\n", path, strerror(errno));
            cli_output_discard(o);
            return 1;
        }
        while ((got = fread(buffer, 1, sizeof buffer, old)) > 0)
            if (fwrite(buffer, 1, got, o->file) != got) break;
        if (ferror(old) || ferror(o->file)) {
            fprintf(stderr, "%s: copying before the append: %s (the file is unchanged)\n", path, strerror(errno));
            fclose(old);
            cli_output_discard(o);
            return 1;
        }
        fclose(old);
    }
    return 0;
}

/* Flushes, syncs and closes the temporary, then renames it over the target. 0, or 1 after
   printing "path: reason" (the target untouched, the temporary removed). */
CLI_DEF int cli_output_commit(cli_output *o) {
    int failed = fflush(o->file) != 0 || ferror(o->file) || (o->temp && fsync(fileno(o->file)) != 0);
    int saved = failed ? errno : 0;
    if (fclose(o->file) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    o->file = NULL;
    if (!failed && o->temp && rename(o->temp, o->path) != 0) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        fprintf(stderr, "%s: %s%s\n", o->path, strerror(saved ? saved : EIO), o->temp ? " (the file is unchanged)" : "");
        cli_output_discard(o);
        return 1;
    }
    free(o->temp);
    o->temp = NULL;
    cli_output_discard(o);
    return 0;
}

/* The whole of `data` as the new content of `path`. 0, or 1 after the message. */
CLI_DEF int cli_write_file(const char *path, const void *data, size_t size) {
    cli_output o;
    if (cli_output_open(&o, path, 0)) return 1;
    if (size && fwrite(data, 1, size, o.file) != size) {
        fprintf(stderr, "%s: %s (the file is unchanged)\n", path, strerror(errno ? errno : EIO));
        cli_output_discard(&o);
        return 1;
    }
    return cli_output_commit(&o);
}

/* The end of main: stdout flushed and checked. A failed write makes status 0 into 1. */
CLI_DEF int cli_finish(int status) {
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "stdout: %s\n", strerror(errno ? errno : EIO));
        return status ? status : 1;
    }
    return status;
}

#endif /* SAFERL_EXAMPLES_CLI_H */

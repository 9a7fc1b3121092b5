/*
 * sg_util.h - growable strings and string lists shared by every module.
 *
 * A NULL-terminated char ** is the list type everywhere: easy to free,
 * easy to hand to a detector, no length to keep in step.
 */
#ifndef SG_UTIL_H
#define SG_UTIL_H

#include <stdbool.h>
#include <stddef.h>

struct sg_buf {
    char *data;                 /* always NUL-terminated once used */
    size_t len;
    size_t cap;
};

void sg_buf_append(struct sg_buf *b, const char *s, size_t n);
void sg_buf_puts(struct sg_buf *b, const char *s);
void sg_buf_printf(struct sg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sg_buf_free(struct sg_buf *b);
char *sg_buf_steal(struct sg_buf *b);     /* caller frees; buf is reset */

void *sg_xmalloc(size_t n);
void *sg_xcalloc(size_t n, size_t m);
void *sg_xrealloc(void *p, size_t n);
char *sg_xstrdup(const char *s);
char *sg_xstrndup(const char *s, size_t n);
/* Called instead of the default (log and abort) when an allocation fails;
 * it should not return. Evaluation workers use it to report "out of memory". */
void sg_set_oom_handler(void (*fn)(void));

/* Whole reads and writes, retried over short transfers and EINTR. False
 * on EOF or error. sg_sock_send_all is for sockets: it never raises
 * SIGPIPE. */
bool sg_fd_read_all(int fd, void *buf, size_t n);
bool sg_fd_write_all(int fd, const void *buf, size_t n);
bool sg_sock_send_all(int sock, const void *buf, size_t n);

size_t sg_strv_len(char *const *v);
char **sg_strv_push(char **v, const char *s);   /* copies s */
void sg_strv_free(char **v);
/* A new list of fn(item) for each item; frees the old list. */
char **sg_strv_map(char **v, char *(*fn)(const char *));

/* Lower-cased copy of an address's domain, without a trailing dot. */
char *sg_addr_domain(const char *addr);
/* "<user+tag@Dom.Example>" -> "user@dom.example"; NULL when not an address. */
char *sg_addr_normalise(const char *addr);

/* A UK phone number as national digits: "+44 (0)7700 900123" -> "07700900123". */
char *sg_phone_national(const char *s);
/* "https://www.Instagram.com/Name/?x" -> "instagram.com/name"; twitter.com,
 * fb.com and instagr.am become x.com, facebook.com and instagram.com. */
char *sg_url_key(const char *url);

/* Writes s as a JSON string literal (with quotes) into b. */
void sg_json_string(struct sg_buf *b, const char *s);

#endif

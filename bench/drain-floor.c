// The drain's floor without any runtime (bench section 2, when a C compiler is present): the
// spool protocol's file steps for every payload (rename incoming/ -> processing/, open
// O_NOFOLLOW|O_NONBLOCK, fstat, read, close, unlink), split over N threads. It shows how much of
// a drain is the kernel's and the disk's own cost. Usage: drain-floor SPOOL_DIR THREADS
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char **names;
static int count, threads;
static char incoming[4096], processing[4096];

static void die(const char *what, const char *name) {
  fprintf(stderr, "drain-floor: %s %s: ", what, name);
  perror(NULL);
  exit(1);
}

static void *run(void *arg) {
  char from[8192], to[8192], buf[65536];
  for (int i = (int)(long)arg; i < count; i += threads) {
    snprintf(from, sizeof from, "%s/%s", incoming, names[i]);
    snprintf(to, sizeof to, "%s/%s", processing, names[i]);
    if (rename(from, to) != 0) die("rename", names[i]);
    int fd = open(to, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) die("open", names[i]);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) die("fstat", names[i]);
    if (read(fd, buf, sizeof buf) < 0) die("read", names[i]);
    close(fd);
    if (unlink(to) != 0) die("unlink", names[i]);
  }
  return NULL;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: drain-floor SPOOL_DIR THREADS\n");
    return 2;
  }
  snprintf(incoming, sizeof incoming, "%s/incoming", argv[1]);
  snprintf(processing, sizeof processing, "%s/processing", argv[1]);
  threads = atoi(argv[2]);
  if (threads < 1 || threads > 64) threads = 8;
  mkdir(processing, 0700);
  DIR *dir = opendir(incoming);
  if (!dir) die("opendir", incoming);
  int cap = 1024;
  names = malloc(cap * sizeof *names);
  for (struct dirent *e; (e = readdir(dir));) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
    if (count == cap) names = realloc(names, (cap *= 2) * sizeof *names);
    names[count++] = strdup(e->d_name);
  }
  closedir(dir);
  qsort(names, count, sizeof *names, by_name);
  pthread_t tids[64];
  for (long t = 0; t < threads; t++) pthread_create(&tids[t], NULL, run, (void *)t);
  for (int t = 0; t < threads; t++) pthread_join(tids[t], NULL);
  printf("floor c: %d files claimed, read and deleted on %d threads\n", count, threads);
  return 0;
}

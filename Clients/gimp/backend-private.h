/* backend-private.h: the Backend's state, shared by backend-process.c (the child process and its
 * JSON-RPC lines) and backend.c (jobs and the session cache). */
#ifndef MASKGIT_BACKEND_PRIVATE_H
#define MASKGIT_BACKEND_PRIVATE_H

#include "maskgit-gimp.h"

#define CODE_SESSION_NOT_FOUND (-32001)
#define CODE_INVALID_PARAMS    (-32602)
#define CODE_CANCELLED         (-32800)

typedef enum { STAGE_OPEN, STAGE_EDIT, STAGE_FORK, STAGE_UNDO } Stage;

typedef struct {
  gint       id;
  JobState   state;
  Stage      stage;
  gchar     *method;
  JsonObject *params;
  gchar     *cache_key, *checksum, *image_path;
  gchar     *session;
  gint64     rpc_id;        /* the request in flight, 0 when none */
  gdouble    fraction;
  gchar     *message;
  gchar     *payload;
  gint64     last_poll, last_activity;  /* monotonic microseconds */
  gboolean   cancel_requested, retried;
} Job;

typedef struct {
  gchar *session;
  gchar *checksum;
} CacheEntry;

struct Backend {
  GPid     pid;
  gint     in_fd, out_fd, err_fd;
  guint    out_watch, err_watch, child_watch, tick;
  GString *out_buf, *err_tail;
  gint64   next_rpc_id;
  gint     next_job_id;
  GHashTable *jobs;      /* job id -> Job* */
  GHashTable *cache;     /* "image:drawable" -> CacheEntry* */
  gint     starts, sessions_opened, sessions_reused, edits;
  gint     sessions_forked, tokens_adopted, tokens_known;
  GQueue  *forks;        /* ids of the result forks (session.fork) still open, oldest first */
  gint     max_forks;    /* forks kept open; -1: a quarter of the server's maxSessions */
  gint     server_max_sessions;   /* initialize -> limits.maxSessions, 0 until answered */
  gint64   init_rpc_id;  /* the initialize request of the running child */
  gboolean no_reuse;     /* the child refused session.open reuseTokens (an older server) */
  gdouble  orphan_timeout_s, answer_timeout_s;
  gint64   last_output;  /* monotonic time of the child's last stdout line (any request's) */
};

/* backend-process.c */
gboolean    backend_start       (Backend *b, gchar **error);
void        backend_stop        (Backend *b, const gchar *why);
void        backend_broken      (Backend *b);
gint64      send_request        (Backend *b, const gchar *method, JsonObject *params, const gchar *progress_token);
void        send_notification   (Backend *b, const gchar *method, JsonObject *params);
gchar      *json_text           (JsonNode *node);
gchar      *object_text         (JsonObject *object);
JsonObject *object_copy         (JsonObject *object);

/* backend.c */
void        job_finish          (Backend *b, Job *job, JobState state, gchar *payload);
void        handle_line         (Backend *b, const gchar *line);

#endif

/* maskgit-gimp: GIMP 2.10 plug-in bridge to the maskgit-rpc server.
 *
 * One executable plays two roles:
 *   - the resident extension "extension-maskgit-backend" (GIMP_EXTENSION): owns one maskgit-rpc
 *     child for the whole GIMP run, keeps a map from GIMP layer (+ pixel checksum) to server
 *     session and the newest edit results as sessions of their own (session.fork: a result
 *     layer's session.open {reuseTokens} then starts from its tokens), and serves temporary
 *     procedures (submit / poll / cancel / status);
 *   - the menu procedures (plug-in-maskgit-*), each run in its own short-lived process: they read
 *     the layer and selection, write PNGs into a private temp folder, hand a job to the extension,
 *     poll it for progress (GIMP progress bar, Cancel dialog), and insert the result as a new layer.
 * GIMP starts the extension at start-up (only an extension without arguments can be started:
 * a plug-in that calls an extension waits for a return that never comes); it starts no backend
 * until the first MaskGIT call. When the extension is not running (it crashed, or
 * MASKGIT_GIMP_RESIDENT=0) a menu procedure runs the same backend code itself (one maskgit-rpc
 * per call).
 *
 * Files: maskgit-gimp.c (registration and the menu procedures), dialog.c (GTK dialogs),
 * client.c (menu side: jobs, pixels in and out), extension.c (the resident procedure and its
 * temporary procedures), backend.c (jobs, session cache), backend-process.c (the child process,
 * JSON-RPC lines, log, work folder), backend-private.h (between the last two).
 */
#ifndef MASKGIT_GIMP_H
#define MASKGIT_GIMP_H

#include <libgimp/gimp.h>
#include <json-glib/json-glib.h>

#define EXTENSION_PROC  "extension-maskgit-backend"
#define TEMP_SUBMIT     "maskgit-backend-submit"
#define TEMP_POLL       "maskgit-backend-poll"
#define TEMP_CANCEL     "maskgit-backend-cancel"
#define TEMP_STATUS     "maskgit-backend-status"
#define PARASITE_NAME   "maskgit-params"

/* ---- backend.c ---------------------------------------------------------------------------- */

typedef enum { JOB_RUNNING = 0, JOB_DONE = 1, JOB_FAILED = 2, JOB_CANCELLED = 3 } JobState;

typedef struct Backend Backend;

typedef struct {
  gint pid;             /* 0 when no backend runs */
  gint starts;          /* backend processes started */
  gint sessions_opened; /* session.open requests that succeeded */
  gint sessions_reused; /* edits that found their layer's session cached */
  gint edits;           /* edit requests answered */
  gint cached;          /* entries in the layer -> session map */
  gint running;         /* jobs not finished yet */
  gint sessions_forked; /* results kept as sessions of their own (session.fork) */
  gint forks;           /* of those, still open */
  gint tokens_adopted;  /* session.open answers whose grid came from an open revision (tokensFrom) */
  gint tokens_known;    /* the known tokens those adopted in all */
} BackendStatus;

/* orphan_timeout_s > 0: cancel a running job nobody has polled for that long (extension mode). */
Backend    *backend_new         (gdouble orphan_timeout_s);
void        backend_free        (Backend *b);
/* Queues a job; never blocks. Returns its id (> 0). image_path == NULL: no session (generate,
 * models.list). cache_key/checksum identify the source layer's pixels for the session cache. */
gint        backend_submit      (Backend *b, const gchar *method, const gchar *params_json,
                                 const gchar *cache_key, const gchar *checksum,
                                 const gchar *image_path);
/* Current state; *payload: the result JSON (DONE) or an error message (FAILED/CANCELLED),
 * owned by the caller. A job in a final state is forgotten after being polled. */
JobState    backend_poll        (Backend *b, gint job, gdouble *fraction, gchar **message,
                                 gchar **payload);
void        backend_cancel      (Backend *b, gint job);
/* Result forks kept open (0: none made); by default MASKGIT_GIMP_FORKS, else a quarter of the
 * server's maxSessions. */
void        backend_set_max_forks (Backend *b, gint n);
void        backend_get_status  (Backend *b, BackendStatus *status);

/* The folder shared by both roles for request and result images (created 0700). */
const gchar *maskgit_work_dir   (void);
/* Appends a line to <GIMP profile>/maskgit-gimp.log (and stderr when MASKGIT_GIMP_DEBUG). */
void        maskgit_log         (const gchar *format, ...) G_GNUC_PRINTF (1, 2);
/* The plug-in executable's own path (argv[0]), for the install-time config file. */
extern gchar *maskgit_self_path;

/* ---- extension.c -------------------------------------------------------------------------- */

void        extension_run       (void);

/* ---- client.c ----------------------------------------------------------------------------- */

typedef struct {
  gchar   *result_json;   /* the edit's result object (DONE) */
  gchar   *error;         /* a message for the user (FAILED) */
  gboolean cancelled;
} JobOutcome;

/* Runs one job to completion through the extension (started on demand) or, failing that, a
 * backend of its own. Shows progress; interactive: a dialog with a Cancel button. */
JobState    client_run_job      (const gchar *method, JsonObject *params, const gchar *cache_key,
                                 const gchar *checksum, const gchar *image_path,
                                 const gchar *title, gboolean interactive, JobOutcome *out);
void        job_outcome_clear   (JobOutcome *out);
gboolean    client_status       (BackendStatus *status);
/* The default model's description from models.list (NULL + *error on failure). */
JsonObject *client_model_info   (gchar **error);

/* Writes the drawable's pixels (RGB, or RGBA when it has alpha) as a PNG; returns a checksum of
 * the pixels. */
gchar      *export_drawable_png (gint32 drawable, const gchar *path, GError **error);
/* Writes the selection over the drawable's extent (canvas -> layer coordinates) as a PNG. */
gboolean    export_selection_png (gint32 image, gint32 drawable, const gchar *path, GError **error);
gchar      *work_file           (const gchar *stem);

/* ---- dialog.c ----------------------------------------------------------------------------- */

typedef enum { OP_INPAINT, OP_OUTPAINT, OP_CLASS_EDIT, OP_GENERATE } Operation;

typedef struct {
  gint    seed;             /* -1: random */
  gint    steps;            /* 0: the server's default */
  gchar   sampler[32];      /* "": the server's default; else a name of capabilities.samplers */
  gchar   mask_policy[32];  /* "": the server's default; else a name of capabilities.maskPolicies */
  gdouble feather;          /* -1: the server's default */
  gint    margins[4];       /* left, top, right, bottom */
  gchar   class_name[128];  /* "" none; a label number or a class name */
} EditValues;

gboolean    edit_dialog         (Operation op, EditValues *values);


#endif

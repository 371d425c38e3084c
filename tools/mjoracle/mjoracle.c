/*
 * mjoracle: ground truth from the MuJoCo C library for offrl's pure-Go
 * MuJoCo environments. See README.md next to this file for the interface.
 *
 * Build: bash build.sh OUTDIR   (gcc -std=c99 ... -lmujoco)
 */
#define _POSIX_C_SOURCE 200809L /* getline, clock_gettime */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mujoco/mujoco.h>

#define ORACLE_VERSION 1
#define TWO_PI 6.283185307179586 /* M_PI is not C99 */

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_UNSTABLE = 3 };

/* ---------------------------------------------------------------- errors */

static void die(int code, const char *fmt, ...) {
  va_list ap;
  fputs("mjoracle: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(code);
}

static void usage_exit(const char *why) {
  fprintf(stderr, "mjoracle: %s\n", why);
  fputs("usage: mjoracle info    MODEL.xml [--task NAME]\n"
        "       mjoracle rollout MODEL.xml [--frame-skip K] [--task NAME] < INPUT\n"
        "       mjoracle bench   MODEL.xml [--frame-skip K] [--steps N] [--seed S]\n"
        "                                  [--episode-steps E] [--task NAME] [--stats]\n"
        "       mjoracle version\n",
        stderr);
  exit(EXIT_USAGE);
}

/* Buffered stdout hides write errors until the end; checking once there is
 * enough because nothing else depends on the output having been written. */
static void finish_stdout(void) {
  if (fflush(stdout) != 0 || ferror(stdout))
    die(EXIT_INPUT, "write error on stdout: %s", strerror(errno));
}

/* ----------------------------------------------------------------- tasks */

enum term_rule { TERM_NEVER, TERM_HOPPER, TERM_WALKER, TERM_IPEND, TERM_IDPEND };
enum noise_kind { NOISE_NONE, NOISE_UNIFORM, NOISE_QVEL_NORMAL, NOISE_REACHER };
/* Gymnasium v4 reward per env step (bench --stats); see bench_reward. */
enum reward_rule {
  REWARD_NONE,
  REWARD_CHEETAH,
  REWARD_WALKER, /* Hopper and Walker2d */
  REWARD_IPEND,
  REWARD_IDPEND,
  REWARD_REACHER,
  REWARD_SWIMMER
};

/* One Gymnasium v4 task: frame skip, reset noise and termination rule
 * (Gymnasium's *_v4.py; offrl specs/envs.md section 4). */
struct task {
  const char *name;
  int frame_skip;
  enum noise_kind noise; /* how reset_model perturbs qpos0 / zero qvel */
  double qpos_noise;     /* half-width of the uniform qpos noise */
  double qvel_noise;     /* uniform half-width, or normal std for QVEL_NORMAL */
  enum term_rule term;
  int episode_steps; /* max_episode_steps of the registration */
  enum reward_rule reward;
  double ctrl_weight; /* ctrl_cost_weight of the reward */
};

static const struct task TASKS[] = {
    {"half_cheetah", 5, NOISE_QVEL_NORMAL, 0.1, 0.1, TERM_NEVER, 1000, REWARD_CHEETAH, 0.1},
    {"hopper", 4, NOISE_UNIFORM, 5e-3, 5e-3, TERM_HOPPER, 1000, REWARD_WALKER, 1e-3},
    {"walker2d", 4, NOISE_UNIFORM, 5e-3, 5e-3, TERM_WALKER, 1000, REWARD_WALKER, 1e-3},
    {"inverted_pendulum", 2, NOISE_UNIFORM, 0.01, 0.01, TERM_IPEND, 1000, REWARD_IPEND, 0},
    {"inverted_double_pendulum", 5, NOISE_QVEL_NORMAL, 0.1, 0.1, TERM_IDPEND, 1000,
     REWARD_IDPEND, 0},
    {"reacher", 2, NOISE_REACHER, 0.1, 5e-3, TERM_NEVER, 50, REWARD_REACHER, 1.0},
    {"swimmer", 4, NOISE_UNIFORM, 0.1, 0.1, TERM_NEVER, 1000, REWARD_SWIMMER, 1e-4},
};
#define NTASKS ((int)(sizeof TASKS / sizeof TASKS[0]))

/* Stands in for a model no task knows: no noise, no termination. */
static const struct task UNKNOWN_TASK = {NULL, 0, NOISE_NONE, 0, 0, TERM_NEVER, 1000,
                                         REWARD_NONE, 0};

static const struct task *find_task(const char *name) {
  if (strcmp(name, "halfcheetah") == 0) name = "half_cheetah";
  for (int i = 0; i < NTASKS; i++)
    if (strcmp(TASKS[i].name, name) == 0) return &TASKS[i];
  return NULL;
}

/* Task name from a model path: "a/b/hopper_v4.xml" -> "hopper". The result
 * is written into buf (size n). */
static void task_name_from_path(const char *path, char *buf, size_t n) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  snprintf(buf, n, "%s", base);
  size_t len = strlen(buf);
  if (len > 4 && strcmp(buf + len - 4, ".xml") == 0) buf[len -= 4] = '\0';
  /* drop a trailing _vN (N one or more digits) */
  size_t i = len;
  while (i > 0 && buf[i - 1] >= '0' && buf[i - 1] <= '9') i--;
  if (i < len && i >= 2 && buf[i - 1] == 'v' && buf[i - 2] == '_') buf[i - 2] = '\0';
  /* "Hopper-v4"-style capitals are not part of the task's identity */
  for (char *p = buf; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
}

/* --------------------------------------------------------------- options */

struct options {
  const char *cmd;
  const char *model_path;
  const char *task_arg;  /* --task, or NULL */
  long frame_skip;       /* 0: from the task */
  long steps;            /* bench */
  unsigned long long seed;
  long episode_steps;    /* 0: from the task */
  int stats;             /* bench --stats */
};

static long parse_positive(const char *opt, const char *s) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end != '\0' || v < 1) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s needs a positive integer, got '%s'", opt, s);
    usage_exit(msg);
  }
  return v;
}

static unsigned long long parse_seed(const char *s) {
  char *end;
  errno = 0;
  if (*s == '-') usage_exit("--seed must not be negative");
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end != '\0') {
    char msg[256];
    snprintf(msg, sizeof msg, "--seed needs an unsigned integer, got '%s'", s);
    usage_exit(msg);
  }
  return v;
}

/* allowed: bit 1 frame-skip, bit 2 bench options. */
static void parse_options(int argc, char **argv, struct options *o, int allowed) {
  o->steps = 20000;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || a[1] == '\0') {
      if (o->model_path) usage_exit("more than one MODEL.xml given");
      o->model_path = a;
      continue;
    }
    if ((allowed & 2) && strcmp(a, "--stats") == 0) { /* the only flag without a value */
      o->stats = 1;
      continue;
    }
    if (i + 1 >= argc) {
      char msg[256];
      snprintf(msg, sizeof msg, "option %s needs a value", a);
      usage_exit(msg);
    }
    const char *v = argv[++i];
    if (strcmp(a, "--task") == 0)
      o->task_arg = v;
    else if ((allowed & 1) && strcmp(a, "--frame-skip") == 0)
      o->frame_skip = parse_positive(a, v);
    else if ((allowed & 2) && strcmp(a, "--steps") == 0)
      o->steps = parse_positive(a, v);
    else if ((allowed & 2) && strcmp(a, "--seed") == 0)
      o->seed = parse_seed(v);
    else if ((allowed & 2) && strcmp(a, "--episode-steps") == 0)
      o->episode_steps = parse_positive(a, v);
    else {
      char msg[256];
      snprintf(msg, sizeof msg, "unknown option %s for %s", a, o->cmd);
      usage_exit(msg);
    }
  }
  if (!o->model_path) usage_exit("missing MODEL.xml");
}

/* Task for the options: --task wins over the file name. Unknown names give
 * UNKNOWN_TASK; *known says which. */
static const struct task *resolve_task(const struct options *o, char *name, size_t n,
                                       int *known) {
  if (o->task_arg)
    snprintf(name, n, "%s", o->task_arg);
  else
    task_name_from_path(o->model_path, name, n);
  const struct task *t = find_task(name);
  *known = t != NULL;
  if (t) snprintf(name, n, "%s", t->name); /* canonical spelling of aliases */
  return t ? t : &UNKNOWN_TASK;
}

/* Frame skip for rollout/bench: --frame-skip, else the task's; an unknown
 * task without --frame-skip is a usage error. */
static int frame_skip_for(const struct options *o, const struct task *t, int known,
                          const char *name) {
  if (o->frame_skip) return (int)o->frame_skip;
  if (!known) {
    char msg[300];
    snprintf(msg, sizeof msg, "unknown task '%s': give --frame-skip or --task", name);
    usage_exit(msg);
  }
  return t->frame_skip;
}

/* ----------------------------------------------------------------- model */

static mjModel *load_model(const char *path) {
  char err[1000] = "";
  FILE *f = fopen(path, "r");
  if (!f) die(EXIT_INPUT, "%s: %s", path, strerror(errno));
  fclose(f);
  mjModel *m = mj_loadXML(path, NULL, err, sizeof err);
  size_t n = strlen(err);
  while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' ')) err[--n] = '\0';
  if (!m) die(EXIT_INPUT, "%s: %s", path, n ? err : "could not load model");
  return m;
}

static const char *obj_name(const mjModel *m, int type, int id) {
  const char *s = (id >= 0) ? mj_id2name(m, type, id) : NULL;
  return (s && *s) ? s : "-";
}

/* Sum of MuJoCo's "bad number" warnings; an increase over a step means
 * MuJoCo found NaN/huge values and reset the state itself. */
static int bad_count(const mjData *d) {
  return d->warning[mjWARN_BADQPOS].number + d->warning[mjWARN_BADQVEL].number +
         d->warning[mjWARN_BADQACC].number;
}

/* Gymnasium's set_state after reset: mj_resetData, write state, mj_forward. */
static void set_state(const mjModel *m, mjData *d, const double *qpos, const double *qvel) {
  mj_resetData(m, d);
  if (qpos) memcpy(d->qpos, qpos, sizeof(mjtNum) * m->nq);
  if (qvel) memcpy(d->qvel, qvel, sizeof(mjtNum) * m->nv);
  mj_forward(m, d);
}

/* One env step (Gymnasium MujocoEnv.do_simulation): ctrl = action, then
 * frame_skip mj_step calls. Returns the number of substeps that went bad. */
static int env_step(const mjModel *m, mjData *d, const double *action, int frame_skip) {
  int bad = 0;
  memcpy(d->ctrl, action, sizeof(mjtNum) * m->nu);
  for (int k = 0; k < frame_skip; k++) {
    int before = bad_count(d);
    mj_step(m, d);
    if (bad_count(d) != before) bad++;
  }
  return bad;
}

/* ------------------------------------------------------------------ info */

static void put_nums(const char *key, const mjtNum *v, int n) {
  fputs(key, stdout);
  for (int i = 0; i < n; i++) printf(" %.17g", v[i]);
  putchar('\n');
}

static void put_ints(const char *key, const int *v, int n) {
  fputs(key, stdout);
  for (int i = 0; i < n; i++) printf(" %d", v[i]);
  putchar('\n');
}

/* key with an object prefix, e.g. "body.3.mass" */
static const char *k3(const char *kind, int id, const char *field) {
  static char buf[128];
  snprintf(buf, sizeof buf, "%s.%d.%s", kind, id, field);
  return buf;
}

static const char *integrator_name(int v) {
  switch (v) {
  case mjINT_EULER: return "Euler";
  case mjINT_RK4: return "RK4";
  case mjINT_IMPLICIT: return "implicit";
  default: return "?";
  }
}

static const char *cone_name(int v) {
  return v == mjCONE_PYRAMIDAL ? "pyramidal" : v == mjCONE_ELLIPTIC ? "elliptic" : "?";
}

static const char *solver_name(int v) {
  switch (v) {
  case mjSOL_PGS: return "PGS";
  case mjSOL_CG: return "CG";
  case mjSOL_NEWTON: return "Newton";
  default: return "?";
  }
}

static void info_options(const mjModel *m) {
  const mjOption *o = &m->opt;
  printf("integrator %s\n", integrator_name(o->integrator));
  put_nums("gravity", o->gravity, 3);
  put_nums("wind", o->wind, 3);
  printf("density %.17g\nviscosity %.17g\nimpratio %.17g\ntolerance %.17g\n", o->density,
         o->viscosity, o->impratio, o->tolerance);
  printf("cone %s\nsolver %s\niterations %d\n", cone_name(o->cone), solver_name(o->solver),
         o->iterations);
  printf("disableflags %d\nenableflags %d\n", o->disableflags, o->enableflags);
}

static void info_bodies(const mjModel *m) {
  for (int i = 0; i < m->nbody; i++) {
    printf("%s %s\n", k3("body", i, "name"), obj_name(m, mjOBJ_BODY, i));
    printf("%s %s\n", k3("body", i, "parent"),
           obj_name(m, mjOBJ_BODY, i == 0 ? -1 : m->body_parentid[i]));
    put_nums(k3("body", i, "pos"), m->body_pos + 3 * i, 3);
    put_nums(k3("body", i, "quat"), m->body_quat + 4 * i, 4);
    put_nums(k3("body", i, "mass"), m->body_mass + i, 1);
    put_nums(k3("body", i, "ipos"), m->body_ipos + 3 * i, 3);
    put_nums(k3("body", i, "iquat"), m->body_iquat + 4 * i, 4);
    put_nums(k3("body", i, "inertia"), m->body_inertia + 3 * i, 3);
    put_nums(k3("body", i, "subtreemass"), m->body_subtreemass + i, 1);
  }
}

static void info_joints(const mjModel *m) {
  for (int j = 0; j < m->njnt; j++) {
    int q = m->jnt_qposadr[j], v = m->jnt_dofadr[j];
    printf("%s %s\n", k3("joint", j, "name"), obj_name(m, mjOBJ_JOINT, j));
    printf("%s %d\n", k3("joint", j, "type"), m->jnt_type[j]);
    printf("%s %s\n", k3("joint", j, "body"), obj_name(m, mjOBJ_BODY, m->jnt_bodyid[j]));
    printf("%s %d\n", k3("joint", j, "qposadr"), q);
    printf("%s %d\n", k3("joint", j, "dofadr"), v);
    put_nums(k3("joint", j, "pos"), m->jnt_pos + 3 * j, 3);
    put_nums(k3("joint", j, "axis"), m->jnt_axis + 3 * j, 3);
    printf("%s %d\n", k3("joint", j, "limited"), m->jnt_limited[j]);
    put_nums(k3("joint", j, "range"), m->jnt_range + 2 * j, 2);
    put_nums(k3("joint", j, "stiffness"), m->jnt_stiffness + j, 1);
    /* MuJoCo 2.2.2 keeps springref only as qpos_spring; this is its first
     * coordinate for the joint (all joints here are 1-dof). */
    put_nums(k3("joint", j, "springref"), m->qpos_spring + q, 1);
    put_nums(k3("joint", j, "damping"), m->dof_damping + v, 1);
    put_nums(k3("joint", j, "armature"), m->dof_armature + v, 1);
    put_nums(k3("joint", j, "frictionloss"), m->dof_frictionloss + v, 1);
    put_nums(k3("joint", j, "margin"), m->jnt_margin + j, 1);
    put_nums(k3("joint", j, "solref"), m->jnt_solref + mjNREF * j, mjNREF);
    put_nums(k3("joint", j, "solimp"), m->jnt_solimp + mjNIMP * j, mjNIMP);
  }
  put_nums("dof_M0", m->dof_M0, m->nv);
}

static void info_geoms(const mjModel *m) {
  for (int g = 0; g < m->ngeom; g++) {
    int cc[3] = {m->geom_contype[g], m->geom_conaffinity[g], m->geom_condim[g]};
    printf("%s %s\n", k3("geom", g, "name"), obj_name(m, mjOBJ_GEOM, g));
    printf("%s %d\n", k3("geom", g, "type"), m->geom_type[g]);
    printf("%s %s\n", k3("geom", g, "body"), obj_name(m, mjOBJ_BODY, m->geom_bodyid[g]));
    put_nums(k3("geom", g, "size"), m->geom_size + 3 * g, 3);
    put_nums(k3("geom", g, "pos"), m->geom_pos + 3 * g, 3);
    put_nums(k3("geom", g, "quat"), m->geom_quat + 4 * g, 4);
    put_ints(k3("geom", g, "contype_conaffinity_condim"), cc, 3);
    put_nums(k3("geom", g, "friction"), m->geom_friction + 3 * g, 3);
    put_nums(k3("geom", g, "margin"), m->geom_margin + g, 1);
    put_nums(k3("geom", g, "gap"), m->geom_gap + g, 1);
    put_nums(k3("geom", g, "solref"), m->geom_solref + mjNREF * g, mjNREF);
    put_nums(k3("geom", g, "solimp"), m->geom_solimp + mjNIMP * g, mjNIMP);
    put_nums(k3("geom", g, "fluid"), m->geom_fluid + mjNFLUID * g, mjNFLUID);
  }
}

static void info_sites(const mjModel *m) {
  for (int s = 0; s < m->nsite; s++) {
    printf("%s %s\n", k3("site", s, "name"), obj_name(m, mjOBJ_SITE, s));
    printf("%s %s\n", k3("site", s, "body"), obj_name(m, mjOBJ_BODY, m->site_bodyid[s]));
    put_nums(k3("site", s, "pos"), m->site_pos + 3 * s, 3);
  }
}

static void info_actuators(const mjModel *m) {
  for (int a = 0; a < m->nu; a++) {
    int types[3] = {m->actuator_dyntype[a], m->actuator_gaintype[a],
                    m->actuator_biastype[a]};
    printf("%s %s\n", k3("actuator", a, "name"), obj_name(m, mjOBJ_ACTUATOR, a));
    /* A joint transmission names its joint; anything else prints its mjtTrn. */
    if (m->actuator_trntype[a] == mjTRN_JOINT)
      printf("%s %s\n", k3("actuator", a, "joint"),
             obj_name(m, mjOBJ_JOINT, m->actuator_trnid[2 * a]));
    else
      printf("%s %d\n", k3("actuator", a, "trntype"), m->actuator_trntype[a]);
    put_nums(k3("actuator", a, "gear"), m->actuator_gear + 6 * a, 6);
    printf("%s %d\n", k3("actuator", a, "ctrllimited"), m->actuator_ctrllimited[a]);
    put_nums(k3("actuator", a, "ctrlrange"), m->actuator_ctrlrange + 2 * a, 2);
    printf("%s %d\n", k3("actuator", a, "forcelimited"), m->actuator_forcelimited[a]);
    put_nums(k3("actuator", a, "forcerange"), m->actuator_forcerange + 2 * a, 2);
    put_ints(k3("actuator", a, "dyn_gain_bias_type"), types, 3);
    put_nums(k3("actuator", a, "gainprm"), m->actuator_gainprm + mjNGAIN * a, 3);
    put_nums(k3("actuator", a, "biasprm"), m->actuator_biasprm + mjNBIAS * a, 3);
  }
}

static int cmd_info(const struct options *o) {
  char name[256];
  int known;
  const struct task *t = resolve_task(o, name, sizeof name, &known);
  mjModel *m = load_model(o->model_path);
  int skip = o->frame_skip ? (int)o->frame_skip : (known ? t->frame_skip : 0);

  printf("mujoco_version %s\n", mj_versionString());
  printf("model_file %s\n", o->model_path);
  printf("model_name %s\n", m->names[0] ? m->names : "-"); /* names[0..] = model name */
  printf("task %s\n", known ? name : "-");
  if (skip)
    printf("gymnasium_frame_skip %d\n", skip);
  else
    printf("gymnasium_frame_skip -\n");
  printf("nq %d\nnv %d\nnu %d\nna %d\nnbody %d\nnjnt %d\nngeom %d\nnsite %d\n", m->nq,
         m->nv, m->nu, m->na, m->nbody, m->njnt, m->ngeom, m->nsite);
  printf("timestep %.17g\n", m->opt.timestep);
  if (skip) printf("gymnasium_dt %.17g\n", m->opt.timestep * skip);
  info_options(m);
  put_nums("qpos0", m->qpos0, m->nq);
  put_nums("qpos_spring", m->qpos_spring, m->nq);
  info_bodies(m);
  info_joints(m);
  info_geoms(m);
  info_sites(m);
  info_actuators(m);
  mj_deleteModel(m);
  finish_stdout();
  return EXIT_OK;
}

/* --------------------------------------------------------------- rollout */

/* Parses one input line into out (capacity cap). Commas, blanks and the
 * brackets of a JSON array all separate numbers. Returns the count, or -1
 * with *bad pointing at the offending text. Counts beyond cap are still
 * counted so the caller can report how many there were. */
static int parse_numbers(char *line, double *out, int cap, char **bad) {
  int n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == ',' || *p == '[' || *p == ']' || *p == '\r' ||
           *p == '\n')
      p++;
    if (*p == '\0') return n;
    char *end;
    double v = strtod(p, &end);
    if (end == p || !isfinite(v)) {
      *bad = p;
      return -1;
    }
    if (n < cap) out[n] = v;
    n++;
    p = end;
  }
}

static int is_skipped(const char *line) {
  const char *p = line;
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
  return *p == '\0' || *p == '#';
}

static void print_row(const mjModel *m, const mjData *d, long step) {
  printf("%ld,%.17g,%d", step, d->time, d->ncon);
  for (int i = 0; i < m->nq; i++) printf(",%.17g", d->qpos[i]);
  for (int i = 0; i < m->nv; i++) printf(",%.17g", d->qvel[i]);
  putchar('\n');
}

static void print_header(const mjModel *m) {
  printf("#step,time,ncon");
  for (int i = 0; i < m->nq; i++) printf(",qpos%d", i);
  for (int i = 0; i < m->nv; i++) printf(",qvel%d", i);
  putchar('\n');
}

/* Reports an input error naming the stdin line; rows already printed stay. */
static void input_error(long lineno, const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fprintf(stderr, "mjoracle: stdin line %ld: ", lineno);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(EXIT_INPUT);
}

/* Copies the first token at p for an error message. */
static const char *token_at(const char *p) {
  static char buf[40];
  size_t n = strcspn(p, " \t,[]\r\n");
  if (n >= sizeof buf) n = sizeof buf - 1;
  memcpy(buf, p, n);
  buf[n] = '\0';
  return buf;
}

/* Reads the initial-state line into d (already reset). */
static void rollout_initial_state(const mjModel *m, mjData *d, char *line, long lineno,
                                  double *buf, int cap) {
  char word[16];
  if (sscanf(line, " %15s", word) == 1 && strcmp(word, "qpos0") == 0) {
    char rest[2];
    if (sscanf(line, " qpos0 %1s", rest) == 1)
      input_error(lineno, "unexpected text after qpos0");
    set_state(m, d, NULL, NULL);
    return;
  }
  char *bad = NULL;
  int n = parse_numbers(line, buf, cap, &bad);
  if (n < 0) input_error(lineno, "not a finite number: '%s'", token_at(bad));
  if (n != m->nq + m->nv)
    input_error(lineno, "initial state needs qpos0 or nq+nv = %d values, got %d",
                m->nq + m->nv, n);
  set_state(m, d, buf, buf + m->nq);
}

static int cmd_rollout(const struct options *o) {
  char name[256];
  int known;
  const struct task *t = resolve_task(o, name, sizeof name, &known);
  int skip = frame_skip_for(o, t, known, name);
  mjModel *m = load_model(o->model_path);
  mjData *d = mj_makeData(m);
  int cap = m->nq + m->nv + 1;
  double *buf = malloc(sizeof(double) * cap);
  if (!buf) die(EXIT_INPUT, "out of memory");

  char *line = NULL;
  size_t linecap = 0;
  long lineno = 0, step = 0, first_bad_step = 0;
  int have_state = 0;
  while (getline(&line, &linecap, stdin) != -1) {
    lineno++;
    if (is_skipped(line)) continue;
    if (!have_state) {
      rollout_initial_state(m, d, line, lineno, buf, cap);
      have_state = 1;
      print_header(m);
      print_row(m, d, 0);
      if (bad_count(d)) first_bad_step = -1; /* the state itself was bad */
      continue;
    }
    char *bad = NULL;
    int n = parse_numbers(line, buf, cap, &bad);
    if (n < 0) input_error(lineno, "not a finite number: '%s'", token_at(bad));
    if (n != m->nu) input_error(lineno, "action needs nu = %d values, got %d", m->nu, n);
    step++;
    if (env_step(m, d, buf, skip) && !first_bad_step) first_bad_step = step;
    print_row(m, d, step);
  }
  if (ferror(stdin)) die(EXIT_INPUT, "reading stdin: %s", strerror(errno));
  if (!have_state) input_error(lineno + 1, "no initial state (qpos0 or nq+nv values)");
  free(line);
  free(buf);
  mj_deleteData(d);
  mj_deleteModel(m);
  finish_stdout();
  if (first_bad_step) {
    if (first_bad_step < 0)
      die(EXIT_UNSTABLE, "unstable: MuJoCo rejected the initial state");
    die(EXIT_UNSTABLE, "unstable: MuJoCo found bad qpos/qvel/qacc at env step %ld",
        first_bad_step);
  }
  return EXIT_OK;
}

/* ----------------------------------------------------------------- bench */

/* splitmix64: tiny, seedable with any value, good enough for noise. */
static uint64_t rng_state;

static uint64_t rng_next(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static double rng_unit(void) { /* [0,1) with 53 random bits */
  return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static double rng_uniform(double lo, double hi) { return lo + (hi - lo) * rng_unit(); }

static double rng_normal(void) { /* Box-Muller; 1-u keeps log away from 0 */
  double u = 1.0 - rng_unit(), v = rng_unit();
  return sqrt(-2.0 * log(u)) * cos(TWO_PI * v);
}

/* Gymnasium's reset_model for the task, then set_state. */
static void bench_reset(const mjModel *m, mjData *d, const struct task *t, double *qpos,
                        double *qvel) {
  for (int i = 0; i < m->nq; i++) qpos[i] = m->qpos0[i];
  for (int i = 0; i < m->nv; i++) qvel[i] = 0;
  switch (t->noise) {
  case NOISE_NONE:
    break;
  case NOISE_UNIFORM:
    for (int i = 0; i < m->nq; i++) qpos[i] += rng_uniform(-t->qpos_noise, t->qpos_noise);
    for (int i = 0; i < m->nv; i++) qvel[i] += rng_uniform(-t->qvel_noise, t->qvel_noise);
    break;
  case NOISE_QVEL_NORMAL:
    for (int i = 0; i < m->nq; i++) qpos[i] += rng_uniform(-t->qpos_noise, t->qpos_noise);
    for (int i = 0; i < m->nv; i++) qvel[i] += t->qvel_noise * rng_normal();
    break;
  case NOISE_REACHER: {
    /* joints and target get uniform noise, then the target is replaced by a
     * goal drawn uniformly in the disc of radius 0.2 (by rejection); the
     * target slides get zero velocity. */
    for (int i = 0; i < m->nq; i++) qpos[i] += rng_uniform(-t->qpos_noise, t->qpos_noise);
    double gx, gy;
    do {
      gx = rng_uniform(-0.2, 0.2);
      gy = rng_uniform(-0.2, 0.2);
    } while (sqrt(gx * gx + gy * gy) >= 0.2);
    if (m->nq >= 2) qpos[m->nq - 2] = gx, qpos[m->nq - 1] = gy;
    for (int i = 0; i < m->nv; i++) qvel[i] = rng_uniform(-t->qvel_noise, t->qvel_noise);
    for (int i = m->nv - 2; i < m->nv; i++)
      if (i >= 0) qvel[i] = 0;
    break;
  }
  }
  set_state(m, d, qpos, qvel);
}

static int all_finite(const double *v, int n) {
  for (int i = 0; i < n; i++)
    if (!isfinite(v[i])) return 0;
  return 1;
}

/* Gymnasium's terminated flag on the post-step state. tip is the "tip" site
 * id (inverted double pendulum) or -1. */
static int bench_terminated(const mjModel *m, const mjData *d, const struct task *t, int tip) {
  const double *q = d->qpos, *v = d->qvel;
  switch (t->term) {
  case TERM_NEVER:
    return 0;
  case TERM_HOPPER: {
    for (int i = 2; i < m->nq; i++)
      if (!(fabs(q[i]) < 100)) return 1;
    for (int i = 0; i < m->nv; i++)
      if (!(fabs(v[i]) < 100)) return 1;
    return !(q[1] > 0.7 && q[2] > -0.2 && q[2] < 0.2);
  }
  case TERM_WALKER:
    return !(q[1] > 0.8 && q[1] < 2.0 && q[2] > -1.0 && q[2] < 1.0);
  case TERM_IPEND:
    return !all_finite(q, m->nq) || !all_finite(v, m->nv) || fabs(q[1]) > 0.2;
  case TERM_IDPEND:
    /* Gymnasium reads data.site_xpos right after mj_step, i.e. the tip as
     * computed in the last substep's forward pass; we read the same array. */
    return tip >= 0 && d->site_xpos[3 * tip + 2] <= 1.0;
  }
  return 0;
}

static double sum_squares(const double *v, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += v[i] * v[i];
  return s;
}

/* Gymnasium v4's reward for one env step: x_before is qpos[0] before the
 * step, pre_dist Reacher's fingertip-target distance before the step (from
 * xpos, as get_body_com reads it), dt the timestep times the frame skip.
 * The state in d is the one after the step; site_xpos is as the last
 * substep's forward pass left it, which is what Gymnasium reads. */
static double bench_reward(const mjModel *m, const mjData *d, const struct task *t,
                           const double *act, double x_before, double pre_dist, double dt,
                           int tip) {
  double ctrl = t->ctrl_weight * sum_squares(act, m->nu);
  double x_vel = (d->qpos[0] - x_before) / dt;
  switch (t->reward) {
  case REWARD_NONE:
    return 0;
  case REWARD_CHEETAH: /* half_cheetah_v4.py: forward_reward_weight 1 */
    return x_vel - ctrl;
  case REWARD_WALKER: /* hopper_v4.py, walker2d_v4.py: healthy_reward 1 is paid on
                       * every step because terminate_when_unhealthy is set */
    return x_vel + 1.0 - ctrl;
  case REWARD_IPEND: /* inverted_pendulum_v4.py: 1 per step */
    return 1.0;
  case REWARD_IDPEND: { /* inverted_double_pendulum_v4.py: x, _, y = site_xpos[0] */
    double x = d->site_xpos[3 * tip], y = d->site_xpos[3 * tip + 2];
    double v1 = d->qvel[1], v2 = d->qvel[2];
    double dist_penalty = 0.01 * x * x + (y - 2) * (y - 2);
    double vel_penalty = 1e-3 * v1 * v1 + 5e-3 * v2 * v2;
    return 10.0 - dist_penalty - vel_penalty;
  }
  case REWARD_REACHER: /* reacher_v4.py: -|fingertip - target| - |a|^2 */
    return -pre_dist - ctrl;
  case REWARD_SWIMMER: /* swimmer_v4.py: forward_reward_weight 1 */
    return x_vel - ctrl;
  }
  return 0;
}

/* Per-episode sums of the per-step quantities (bench --stats). */
struct episode_sums {
  long n;            /* steps */
  double s[2], q[2]; /* sums and sums of squares of qpos[1], qvel[0] */
};

/* Mean and standard deviation over all steps of quantity k, each with a
 * standard error that treats episodes as the independent samples (cluster
 * or ratio-estimator error), so autocorrelation within an episode does not
 * make it look more precise than it is. out: mean, its standard error,
 * standard deviation (population), its standard error. */
static void cluster_stats(const struct episode_sums *e, long ne, int k, double out[4]) {
  double n = 0, s = 0, q = 0;
  for (long i = 0; i < ne; i++) n += (double)e[i].n, s += e[i].s[k], q += e[i].q[k];
  double mean = s / n, var = q / n - mean * mean;
  if (var < 0) var = 0;
  double em = 0, ev = 0;
  for (long i = 0; i < ne; i++) {
    double ni = (double)e[i].n;
    double dm = e[i].s[k] - mean * ni;
    /* sum over the episode of (x - mean)^2, minus its expectation */
    double dv = e[i].q[k] - 2 * mean * e[i].s[k] + mean * mean * ni - var * ni;
    em += dm * dm;
    ev += dv * dv;
  }
  double corr = ne > 1 ? (double)ne / (double)(ne - 1) : 0;
  double sd = sqrt(var);
  out[0] = mean;
  out[1] = sqrt(em * corr) / n;
  out[2] = sd;
  out[3] = sd > 0 ? sqrt(ev * corr) / n / (2 * sd) : 0;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct bench_result {
  long episodes, terminations, truncations, unstable, ncon_sum;
  double seconds;
  /* --stats: returns of complete episodes, per-episode sums */
  long returns_n;
  double return_sum, return_sq;
  struct episode_sums *eps; /* one per episode started */
};

static void bench_run(const mjModel *m, mjData *d, const struct task *t, int skip,
                      long steps, long episode_steps, struct bench_result *r) {
  double *qpos = malloc(sizeof(double) * m->nq), *qvel = malloc(sizeof(double) * m->nv);
  double *act = malloc(sizeof(double) * (m->nu + 1));
  if (!qpos || !qvel || !act) die(EXIT_INPUT, "out of memory");
  int tip = (t->term == TERM_IDPEND) ? mj_name2id(m, mjOBJ_SITE, "tip") : -1;
  if (t->reward == REWARD_IDPEND && tip < 0) die(EXIT_INPUT, "model has no site 'tip'");
  int finger = mj_name2id(m, mjOBJ_BODY, "fingertip"), target = mj_name2id(m, mjOBJ_BODY, "target");
  if (t->reward == REWARD_REACHER && (finger < 0 || target < 0))
    die(EXIT_INPUT, "model has no body 'fingertip' or 'target'");
  double dt = m->opt.timestep * skip, ret = 0;
  struct episode_sums *ep = NULL;
  if (r->eps) {
    ep = r->eps;
    memset(ep, 0, sizeof *ep);
  }

  double t0 = now_seconds();
  bench_reset(m, d, t, qpos, qvel);
  r->episodes = 1;
  long in_episode = 0;
  for (long s = 0; s < steps; s++) {
    for (int a = 0; a < m->nu; a++) {
      int lim = m->actuator_ctrllimited[a];
      double lo = lim ? m->actuator_ctrlrange[2 * a] : -1.0;
      double hi = lim ? m->actuator_ctrlrange[2 * a + 1] : 1.0;
      act[a] = rng_uniform(lo, hi);
    }
    double x_before = d->qpos[0], pre_dist = 0;
    if (t->reward == REWARD_REACHER) {
      double dd[3];
      for (int i = 0; i < 3; i++) dd[i] = d->xpos[3 * finger + i] - d->xpos[3 * target + i];
      pre_dist = sqrt(sum_squares(dd, 3));
    }
    int bad = env_step(m, d, act, skip);
    r->unstable += bad;
    if (ep) {
      double y[2] = {m->nq > 1 ? d->qpos[1] : 0, m->nv > 0 ? d->qvel[0] : 0};
      ep->n++;
      for (int k = 0; k < 2; k++) ep->s[k] += y[k], ep->q[k] += y[k] * y[k];
      ret += bench_reward(m, d, t, act, x_before, pre_dist, dt, tip);
    }
    r->ncon_sum += d->ncon;
    in_episode++;
    int term = bench_terminated(m, d, t, tip), trunc = in_episode >= episode_steps;
    r->terminations += term;
    r->truncations += trunc;
    /* A state MuJoCo had to reset is no longer the task's; start over. */
    if ((term || trunc) && !bad && ep) { /* a complete episode */
      r->returns_n++;
      r->return_sum += ret;
      r->return_sq += ret * ret;
    }
    if (term || trunc || bad) ret = 0;
    if ((term || trunc || bad) && s + 1 < steps) {
      bench_reset(m, d, t, qpos, qvel);
      r->episodes++;
      in_episode = 0;
      if (ep) {
        ep = &r->eps[r->episodes - 1];
        memset(ep, 0, sizeof *ep);
      }
    }
  }
  r->seconds = now_seconds() - t0;
  free(qpos);
  free(qvel);
  free(act);
}

static int cmd_bench(const struct options *o) {
  char name[256];
  int known;
  const struct task *t = resolve_task(o, name, sizeof name, &known);
  int skip = frame_skip_for(o, t, known, name);
  long episode_steps = o->episode_steps ? o->episode_steps : t->episode_steps;
  mjModel *m = load_model(o->model_path);
  mjData *d = mj_makeData(m);
  struct bench_result r = {0};
  if (o->stats) { /* at most one episode per step */
    r.eps = malloc(sizeof *r.eps * (size_t)(o->steps + 1));
    if (!r.eps) die(EXIT_INPUT, "out of memory");
  }

  rng_state = o->seed;
  bench_run(m, d, t, skip, o->steps, episode_steps, &r);

  double sum = 0;
  for (int i = 0; i < m->nq; i++) sum += d->qpos[i];
  for (int i = 0; i < m->nv; i++) sum += d->qvel[i];
  printf("model %s\ntask %s\nmujoco_version %s\n", o->model_path, known ? name : "-",
         mj_versionString());
  printf("integrator %s\ntimestep %.17g\nframe_skip %d\nseed %llu\n",
         integrator_name(m->opt.integrator), m->opt.timestep, skip, o->seed);
  printf("env_steps %ld\nsubsteps %ld\nepisodes %ld\n", o->steps, o->steps * skip,
         r.episodes);
  printf("terminations %ld\ntruncations %ld\nunstable %ld\n", r.terminations,
         r.truncations, r.unstable);
  printf("mean_ncon %.17g\nfinal_state_sum %.17g\nseconds %.6f\n",
         (double)r.ncon_sum / (double)o->steps, sum, r.seconds);
  printf("env_steps_per_sec %.0f\nsubsteps_per_sec %.0f\n", o->steps / r.seconds,
         o->steps * skip / r.seconds);
  if (o->stats) {
    double n = (double)r.returns_n, mean = n > 0 ? r.return_sum / n : 0;
    double var = n > 1 ? (r.return_sq - n * mean * mean) / (n - 1) : 0;
    printf("return_episodes %ld\nreturn_mean %.17g\nreturn_std %.17g\n", r.returns_n, mean,
           var > 0 ? sqrt(var) : 0);
    const char *names[2] = {"qpos1", "qvel0"};
    for (int k = 0; k < 2; k++) {
      double st[4];
      cluster_stats(r.eps, r.episodes, k, st);
      printf("%s_mean %.17g\n%s_mean_se %.17g\n%s_std %.17g\n%s_std_se %.17g\n", names[k],
             st[0], names[k], st[1], names[k], st[2], names[k], st[3]);
    }
    free(r.eps);
  }
  mj_deleteData(d);
  mj_deleteModel(m);
  finish_stdout();
  return EXIT_OK;
}

/* --------------------------------------------------------------- version */

static int cmd_version(int argc) {
  if (argc > 2) usage_exit("version takes no arguments");
  printf("mjoracle %d mujoco %s (header %d, library %d)\n", ORACLE_VERSION,
         mj_versionString(), mjVERSION_HEADER, mj_version());
  finish_stdout();
  return EXIT_OK;
}

/* MuJoCo's default warning handler prints to stdout, which would corrupt
 * the CSV; warnings are counted in mjData anyway, so route text to stderr. */
static void warning_to_stderr(const char *msg) { fprintf(stderr, "mjoracle: mujoco: %s\n", msg); }

int main(int argc, char **argv) {
  if (argc < 2) usage_exit("missing subcommand");
  mju_user_warning = warning_to_stderr;
  struct options o = {0};
  o.cmd = argv[1];
  if (strcmp(o.cmd, "version") == 0) return cmd_version(argc);
  if (strcmp(o.cmd, "info") == 0) {
    parse_options(argc, argv, &o, 0);
    return cmd_info(&o);
  }
  if (strcmp(o.cmd, "rollout") == 0) {
    parse_options(argc, argv, &o, 1);
    return cmd_rollout(&o);
  }
  if (strcmp(o.cmd, "bench") == 0) {
    parse_options(argc, argv, &o, 1 | 2);
    return cmd_bench(&o);
  }
  char msg[300];
  snprintf(msg, sizeof msg, "unknown subcommand '%s'", o.cmd);
  usage_exit(msg);
  return EXIT_USAGE;
}

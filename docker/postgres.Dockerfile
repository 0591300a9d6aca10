# PostgreSQL 15 from Debian, for docker/compose.ha.yaml where no registry
# image is at hand. It takes the official image's variables
# (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB): on first start it makes
# the cluster in the volume, with password (scram-sha-256) logins over the
# network and that database. Build from the repository root:
#   docker build -f docker/postgres.Dockerfile -t ap-postgres:15 .
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      postgresql-15 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY docker/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["postgres-entrypoint.sh"]

from __future__ import annotations

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A login. The person it belongs to (if any) is `org.Person.user`."""

    class Meta:
        db_table = "core_user"
        verbose_name = "tài khoản"
        verbose_name_plural = "tài khoản"

from __future__ import annotations

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A login. The person it belongs to (if any) is `org.Person.user`."""

    def get_full_name(self) -> str:
        """The name in Vietnamese order: family and middle names (`last_name`), then the
        given name (`first_name`), as `person_set_login` splits a person's full name.
        Django's own joins them the Western way ("An Nguyễn Văn")."""
        return f"{self.last_name} {self.first_name}".strip()

    class Meta:
        db_table = "core_user"
        verbose_name = "tài khoản"
        verbose_name_plural = "tài khoản"

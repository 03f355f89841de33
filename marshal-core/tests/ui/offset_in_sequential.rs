use marshal_core::marshal::Marshal;

#[derive(Marshal)]
struct S {
    #[marshal(offset = 4)]
    a: i32,
}

fn main() {}
